// 一屏观全域: the supervisor's dashboard of a region, from one API call (GET /v1/dashboard).

import { api, me } from './api.js';
import { columnChart } from './charts.js';
import { badge, h, link, section, table } from './dom.js';
import { DEADLINE, LEVEL, SUPERVISION_LEVEL, label, when } from './labels.js';

export async function dashboardPage(view, params) {
  const who = me();
  let region = params.get('region') || who.jurisdiction;
  if (!region) region = await firstDistrict();
  const data = await api('v1/dashboard', { query: { region, as_of: params.get('as_of') } });
  const asOf = params.get('as_of');
  view.replaceChildren(
    h('div', { class: 'page-head' },
      h('h1', {}, `一屏观全域 · ${data.region.name}`),
      breadcrumb(data, who, asOf),
      h('p', { class: 'muted' }, `截至 ${when(data.as_of)}`)),
    counts(data.counts),
    h('div', { class: 'two-columns' },
      section('区划态势（按在办、超期、红色风险着色）', tileMap(data, asOf)),
      section('近 14 日受理趋势', columnChart(
        data.trend.map((day) => ({ label: day.day.slice(5), value: day.intake })), { title: '每日受理件数' }))),
    section(`超期案件（${data.overdue.total}）`, overdueTable(data.overdue.items)),
    section(`红色风险在办（${data.red.total}）`, redTable(data.red.items)));
}

async function firstDistrict() {
  const regions = await api('v1/regions');
  const district = regions.items.find((region) => region.code.length === 6);
  if (!district) throw new Error('目录中还没有区县');
  return district.code;
}

function withAsOf(href, asOf) {
  return asOf ? `${href}&as_of=${encodeURIComponent(asOf)}` : href;
}

function breadcrumb(data, who, asOf) {
  const code = data.region.code;
  const top = who.jurisdiction || code.slice(0, 6);
  if (code === top) return null;
  const parent = code.slice(0, code.length - 3);
  return h('p', { class: 'crumbs' }, link(withAsOf(`#/dashboard?region=${parent}`, asOf), '↑ 上一级'));
}

function counts(figures) {
  const tile = (title, value, kind) => h('div', { class: `count ${kind}`, dataset: { count: kind } },
    h('span', { class: 'count-value' }, value), h('span', { class: 'count-title' }, title));
  return h('div', { class: 'counts' },
    tile('今日受理', figures.intake_today, 'intake'), tile('在办', figures.open, 'open'),
    tile('超期', figures.overdue, 'overdue'), tile('红色风险', figures.red, 'red'));
}

function tone(region) {
  if (region.red > 0) return 'tone-red';
  if (region.overdue > 0) return 'tone-overdue';
  if (region.open > 0) return 'tone-open';
  return 'tone-calm';
}

function tile(region, asOf) {
  return h('a', {
    class: `tile ${tone(region)} level-${region.level}`, href: withAsOf(`#/dashboard?region=${region.code}`, asOf),
    dataset: { region: region.code }, title: `${region.name}：在办 ${region.open}，超期 ${region.overdue}，红色 ${region.red}`,
  },
  h('span', { class: 'tile-name' }, region.name),
  h('span', { class: 'tile-figures' }, `在办 ${region.open} · 超期 ${region.overdue} · 红 ${region.red}`));
}

function tileMap(data, asOf) {
  const children = (code) => data.regions.filter((region) => region.parent === code);
  const root = data.regions.find((region) => region.code === data.region.code) || { ...data.region, open: 0, overdue: 0, red: 0 };
  const groups = children(root.code).map((child) => h('div', { class: 'tile-group' },
    tile(child, asOf), h('div', { class: 'tile-row' }, children(child.code).map((leaf) => tile(leaf, asOf)))));
  return h('div', { class: 'tile-map' },
    h('div', { class: 'tile-root' }, tile(root, asOf)),
    groups.length ? groups : h('p', { class: 'muted' }, `${LEVEL[root.level] || ''}以下没有区划`),
    h('p', { class: 'legend' }, badge('红色风险', 'tone-red'), badge('超期', 'tone-overdue'),
      badge('在办', 'tone-open'), badge('无在办', 'tone-calm')));
}

function caseLink(item) {
  return link(`#/cases/${encodeURIComponent(item.case_id)}`, item.title || item.case_id);
}

function overdueTable(items) {
  return table(['案件', '区划', '调解组织', '调解员', '督办等级', '时限', '超期'], items.map((item) => h('tr', {
    dataset: { caseId: item.case_id },
  },
  h('td', {}, caseLink(item)), h('td', {}, item.region_name || item.region_code),
  h('td', {}, item.org_name || item.org_id || '—'), h('td', {}, item.mediator_name || item.mediator_id || '—'),
  h('td', {}, SUPERVISION_LEVEL[item.supervision_level] || item.supervision_level),
  h('td', {}, `${DEADLINE[item.deadline] || item.deadline} ${when(item.due_at)}`),
  h('td', { class: 'late' }, `${item.overdue_hours} 小时`))), '没有超期案件');
}

function redTable(items) {
  return table(['案件', '区划', '状态', '调解组织', '调解员', '督办等级', '受理时间'], items.map((item) => h('tr', {
    dataset: { caseId: item.case_id },
  },
  h('td', {}, caseLink(item)), h('td', {}, item.region_name || item.region_code),
  h('td', {}, label('status', item.status)),
  h('td', {}, item.org_name || item.org_id || '—'), h('td', {}, item.mediator_name || item.mediator_id || '—'),
  h('td', {}, SUPERVISION_LEVEL[item.supervision_level] || item.supervision_level),
  h('td', {}, when(item.received_at)))), '没有红色风险在办案件');
}
