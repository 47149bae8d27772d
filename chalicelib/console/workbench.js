// The mediator's workbench: my org's cases by deadline, due soon and overdue in colour.

import { api } from './api.js';
import { badge, h, link, section, table } from './dom.js';
import { DEADLINE, STATUS_CLASS, label, when } from './labels.js';

const OPEN = new Set(['received', 'dispatched', 'accepted']);
const DUE_SOON_HOURS = 24;
const MAX_PAGES = 5;

export function currentDeadline(item) {
  if (item.status === 'dispatched' && item.accept_due_at) return { kind: 'accept', at: item.accept_due_at };
  if (item.status === 'accepted' && item.resolve_due_at && !item.suspended) return { kind: 'resolve', at: item.resolve_due_at };
  return null;
}

export function urgency(item, now = Date.now()) {
  const deadline = currentDeadline(item);
  if (item.overdue || (deadline && Date.parse(deadline.at) < now)) return 'overdue';
  if (deadline && Date.parse(deadline.at) - now < DUE_SOON_HOURS * 3600e3) return 'due-soon';
  return 'on-time';
}

async function myCases() {
  const items = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = await api('v1/cases', { query: { limit: 200, cursor, purpose: '调解员工作台' } });
    items.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return { items, more: Boolean(cursor) };
}

function byDeadline(a, b) {
  const da = currentDeadline(a), db = currentDeadline(b);
  if (da && db) return Date.parse(da.at) - Date.parse(db.at);
  if (da || db) return da ? -1 : 1;
  return (b.received_at || '').localeCompare(a.received_at || '');
}

export async function workbenchPage(view, params) {
  const showAll = params.get('all') === '1';
  const { items, more } = await myCases();
  const shown = items.filter((item) => showAll || OPEN.has(item.status) || ['resolved', 'unresolved'].includes(item.status));
  shown.sort(byDeadline);
  const now = Date.now();
  const states = new Map(shown.map((item) => [item, urgency(item, now)]));
  const urgent = { overdue: 0, 'due-soon': 0, 'on-time': 0 };
  for (const state of states.values()) urgent[state] += 1;
  const rows = shown.map((item) => {
    const state = states.get(item);
    const deadline = currentDeadline(item);
    return h('tr', { class: `urgency-${state}`, dataset: { caseId: item.case_id } },
      h('td', {}, deadline ? `${DEADLINE[deadline.kind]} ${when(deadline.at)}` : '—',
        state === 'overdue' ? badge('超期', 'tone-red') : state === 'due-soon' ? badge('即将到期', 'tone-overdue') : null),
      h('td', {}, badge(label('status', item.status), STATUS_CLASS[item.status])),
      h('td', {}, link(`#/cases/${encodeURIComponent(item.case_id)}`, item.title || item.case_id)),
      h('td', {}, label('category', item.category)),
      h('td', {}, badge(label('risk_level', item.risk_level), `risk-${item.risk_level}`)),
      h('td', {}, when(item.received_at)));
  });
  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, '我的工作台'),
      h('p', {}, link(showAll ? '#/workbench' : '#/workbench?all=1', showAll ? '只看待办' : '显示全部（含已结案）'))),
    h('div', { class: 'counts' },
      h('div', { class: 'count overdue' }, h('span', { class: 'count-value' }, urgent.overdue), h('span', { class: 'count-title' }, '超期')),
      h('div', { class: 'count due-soon' }, h('span', { class: 'count-value' }, urgent['due-soon']), h('span', { class: 'count-title' }, `${DUE_SOON_HOURS} 小时内到期`)),
      h('div', { class: 'count open' }, h('span', { class: 'count-value' }, shown.length), h('span', { class: 'count-title' }, '列表中'))),
    section('按期限排列', table(['期限', '状态', '案件', '类别', '风险', '受理时间'], rows, '没有待办案件'),
      more ? h('p', { class: 'muted' }, '只显示了前 1000 件。') : null));
}
