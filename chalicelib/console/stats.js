// Statistics (§8) with charts, and the 红黑榜 ranking of orgs and mediators.

import { api, me } from './api.js';
import { barChart, percent } from './charts.js';
import { h, section, table } from './dom.js';
import { label } from './labels.js';

const RATES = [
  ['success_rate', '化解成功率'], ['on_time_rate', '按期办结率'], ['closure_rate', '结案率'],
  ['satisfaction_rate', '群众满意率'], ['resolved_below_district_share', '基层化解占比'], ['extension_rate', '延期率'],
];

function shanghaiDay(offsetDays = 0) {
  const now = new Date(Date.now() + offsetDays * 86400e3);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now);
}

function breakdown(figures, key, enumName, title) {
  const items = Object.entries(figures[key] || {}).filter(([, value]) => value > 0)
    .map(([value, count]) => ({ label: label(enumName, value), value: count }));
  return section(title, items.length ? barChart(items, { title }) : h('p', { class: 'muted' }, '暂无数据'));
}

function rankingTable(kind, block) {
  const idKey = `${kind}_id`;
  const rows = (entries) => entries.map((entry) => h('tr', { dataset: { subject: entry[idKey] } },
    h('td', {}, entry.rank ?? '—'), h('td', {}, entry.name || entry[idKey]),
    h('td', {}, entry.score === undefined || entry.score === null ? '—' : entry.score.toFixed(3)),
    h('td', {}, percent(entry.success_rate)), h('td', {}, percent(entry.on_time_rate)),
    h('td', {}, percent(entry.satisfaction_rate)), h('td', {}, entry.concluded ?? '—')));
  const ranked = block.ranked || [];
  const red = ranked.slice(0, 5);
  const black = ranked.slice(Math.max(red.length, ranked.length - 5)).reverse();  // never one of the red
  const headers = ['名次', '名称', '得分', '成功率', '按期率', '满意率', '办结数'];
  const below = block.below_minimum || [];
  return [h('h3', {}, '红榜（前五）'), table(headers, rows(red), '暂无上榜'),
    h('h3', {}, '黑榜（后五）'), table(headers, rows(black), ranked.length > 5 ? '暂无上榜' : '参与排名不足六个，不设黑榜'),
    below.length ? [h('h3', {}, `办结不足最低件数、暂不排名（${below.length}）`), table(headers, rows(below))] : null];
}

export async function statsPage(view, params) {
  const who = me();
  let region = params.get('region') || who.jurisdiction;
  if (!region) {
    const regions = await api('v1/regions');
    region = (regions.items.find((item) => item.code.length === 6) || {}).code;
  }
  const from = params.get('from') || shanghaiDay(-29);
  const to = params.get('to') || shanghaiDay(0);
  const query = { region, from, to };
  const [figures, ranking] = await Promise.all([api('v1/stats', { query }), api('v1/stats/ranking', { query })]);
  const form = h('form', { class: 'filters', novalidate: true },
    h('label', {}, '区划', h('input', { name: 'region', value: region, size: 14 })),
    h('label', {}, '自', h('input', { type: 'date', name: 'from', value: from })),
    h('label', {}, '至', h('input', { type: 'date', name: 'to', value: to })),
    h('button', { type: 'submit', class: 'primary' }, '统计'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of ['region', 'from', 'to']) next.set(name, form.elements.namedItem(name).value.trim());
    location.hash = `#/stats?${next}`;
  });
  view.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', {}, '统计分析'), h('p', { class: 'muted' }, `受理日期 ${from} 至 ${to}`)),
    section('范围', form),
    h('div', { class: 'counts' },
      h('div', { class: 'count open' }, h('span', { class: 'count-value' }, figures.total), h('span', { class: 'count-title' }, '受理总数')),
      h('div', { class: 'count overdue' }, h('span', { class: 'count-value' }, figures.overdue_open), h('span', { class: 'count-title' }, '在办超期')),
      h('div', { class: 'count intake' }, h('span', { class: 'count-value' }, figures.avg_hours_to_resolve ?? '—'), h('span', { class: 'count-title' }, '平均化解时长（小时）'))),
    section('各项比率（— 为无可计算的案件）', barChart(RATES.map(([key, title]) => ({ label: title, value: figures[key] })),
      { title: '比率', format: percent, max: 1 })),
    h('div', { class: 'three-columns' },
      breakdown(figures, 'by_category', 'category', '按纠纷类别'),
      breakdown(figures, 'by_tier', 'tier', '按化解层级'),
      breakdown(figures, 'by_channel', 'channel', '按来源渠道')),
    h('div', { class: 'two-columns' },
      section('调解组织红黑榜', rankingTable('org', ranking.orgs || {})),
      section('调解员红黑榜', rankingTable('mediator', ranking.mediators || {}))));
}
