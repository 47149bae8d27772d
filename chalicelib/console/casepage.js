// The case page (一案一档): the case as the API returns it to the viewer, its timeline, SMS,
// supervision letters and return visits, and the forms of the actions the viewer may take.

import { api } from './api.js';
import { badge, h, section, table } from './dom.js';
import { actionForm } from './forms.js';
import { ACTION, DETAIL, EVENT, LITERAL, STATUS_CLASS, SUPERVISION_LEVEL, label, when } from './labels.js';

const PURPOSE = '控制台查看案件';

export async function casePage(view, caseId) {
  const path = `v1/cases/${encodeURIComponent(caseId)}`;
  const [found, events, sms, letters] = await Promise.all([
    api(path, { query: { purpose: PURPOSE } }), api(`${path}/events`), api(`${path}/notifications`),
    api(`${path}/supervision-letters`),
  ]);
  const actions = h('div', { class: 'actions' });
  const formSlot = h('div', { class: 'form-slot' });
  for (const action of found.available_actions || []) {
    actions.append(h('button', {
      type: 'button', dataset: { action },
      onclick: async () => {
        const title = ACTION[action] || action;
        formSlot.replaceChildren(await actionForm(found, action, title, async () => {
          await casePage(view, caseId);
          view.querySelector('.flash')?.replaceChildren(`已${title}`);
        }));
        formSlot.querySelector('input, textarea, select, button')?.focus();
      },
    }, ACTION[action] || action));
  }
  view.replaceChildren(
    h('div', { class: 'page-head' },
      h('h1', { id: 'case-title' }, found.title),
      h('p', {}, badge(label('status', found.status), STATUS_CLASS[found.status]), ' ',
        badge(`${label('risk_level', found.risk_level)}风险`, `risk-${found.risk_level}`), ' ',
        found.overdue ? badge('超期', 'tone-red') : null, ' ',
        h('span', { class: 'muted' }, `案件编号 ${found.case_id} · 一案一码 ${found.public_code || '—'}`)),
      h('p', { class: 'flash', role: 'status' })),
    h('div', { class: 'two-columns' },
      section('案情', summary(found), h('p', { class: 'description' }, found.description)),
      section('可办理事项', (found.available_actions || []).length ? actions : h('p', { class: 'muted' }, '您对本案没有可办理的事项'),
        formSlot)),
    section('当事人', parties(found.parties)),
    section('一案一档（时间线）', timeline(events)),
    h('div', { class: 'two-columns' },
      section('短信', smsTable(sms)),
      section('督办函', letterTable(letters))),
    section('回访', visitTable(found.return_visits || [])));
}

function row(title, value) {
  return [h('dt', {}, title), h('dd', {}, value === null || value === undefined || value === '' ? '—' : value)];
}

function summary(found) {
  return h('dl', { class: 'facts' },
    row('类别', label('category', found.category)), row('来源渠道', label('channel', found.channel)),
    row('区划', found.region_code), row('地址', found.address),
    row('层级', label('tier', found.tier)), row('调解类型', label('mediation_type', found.mediation_type)),
    row('调解组织', found.org_id), row('调解员', found.mediator_id),
    row('受理时间', when(found.received_at)), row('接单时限', when(found.accept_due_at)),
    row('结单时限', when(found.resolve_due_at)), row('督办等级', SUPERVISION_LEVEL[found.supervision_level]),
    row('涉及金额（元）', found.amount_cny), row('协办组织', (found.participants || [])
      .filter((p) => p.org_id !== found.org_id).map((p) => p.org_id).join('、')));
}

function parties(list) {
  return table(['身份', '姓名', '手机号', '身份证号'], list.map((party) => h('tr', {},
    h('td', {}, label('party_role', party.role)), h('td', {}, party.name || '—'),
    h('td', {}, party.phone || '—'), h('td', {}, party.id_number || '—'))), '没有当事人信息');
}

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail).filter(([, value]) => value !== null && value !== '' && value !== undefined)
    .map(([key, value]) => `${DETAIL[key] || key}：${typeof value === 'object' ? JSON.stringify(value) : value}`).join('；');
}

function timeline(events) {
  if (!events.length) return h('p', { class: 'muted' }, '暂无记录');
  return h('ol', { class: 'timeline' }, events.map((event) => h('li', { dataset: { event: event.type } },
    h('time', {}, when(event.at)), h('strong', {}, EVENT[event.type] || event.type),
    h('span', { class: 'actor' }, event.actor), h('span', { class: 'detail' }, detailText(event.detail)))));
}

function smsTable(records) {
  return table(['时间', '类型', '接收号码', '状态', '内容'], records.map((record) => h('tr', {},
    h('td', {}, when(record.created_at)), h('td', {}, record.kind), h('td', {}, record.to || '—'),
    h('td', {}, record.status), h('td', { class: 'sms-text' }, record.text || '—'))), '没有短信');
}

function letterTable(letters) {
  return table(['文号', '日期', '致', '时限', '督办等级'], letters.map((letter) => h('tr', {},
    h('td', {}, letter.number), h('td', {}, letter.date), h('td', {}, letter.addressee_org_name || letter.addressee_org_id || '—'),
    h('td', {}, `${letter.deadline === 'accept' ? '接单' : '结单'} ${when(letter.deadline_due_at)}`),
    h('td', {}, SUPERVISION_LEVEL[letter.supervision_level] ?? letter.supervision_level))), '没有督办函');
}

function visitTable(visits) {
  const scores = (satisfaction) => (satisfaction ? ['attitude', 'process', 'effect']
    .map((key) => label('satisfaction', satisfaction[key])).join(' / ') : '—');
  return table(['次序', '应回访日', '回访时间', '协议履行', '满意度（态度/过程/效果）'], visits.map((visit) => h('tr', {},
    h('td', {}, visit.seq), h('td', {}, visit.due_on), h('td', {}, when(visit.done_at)),
    h('td', {}, visit.agreement_performed ? LITERAL.agreement_performed[visit.agreement_performed] : '—'),
    h('td', {}, scores(visit.satisfaction)))), '没有回访计划');
}
