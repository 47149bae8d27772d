// The case list of the caller's view, with the API's own filters (status, region, category, risk, overdue)
// and its exact lookups (a partner's reference, a party's phone: §1a).

import { api } from './api.js';
import { badge, h, link, section, table } from './dom.js';
import { STATUS_CLASS, label, options, when } from './labels.js';

const FILTERS = ['status', 'region', 'category', 'risk_level', 'overdue', 'external_ref', 'party_phone'];

export async function caseListPage(view, params) {
  const query = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || undefined]));
  const answer = await api('v1/cases', { query: { ...query, limit: 50, cursor: params.get('cursor'), purpose: '控制台案件列表' } });
  const select = (name, enumName, title) => h('label', {}, title, h('select', { name },
    h('option', { value: '' }, '全部'),
    options(enumName).map(([value, text]) => h('option', { value, selected: query[name] === value }, text))));
  const form = h('form', { class: 'filters', novalidate: true },
    select('status', 'status', '状态'), select('category', 'category', '类别'), select('risk_level', 'risk_level', '风险'),
    h('label', {}, '区划', h('input', { name: 'region', value: query.region || '', placeholder: '6/9/12 位代码', size: 14 })),
    h('label', {}, h('input', { type: 'checkbox', name: 'overdue', value: 'true', checked: query.overdue === 'true' }), '只看超期'),
    h('label', {}, '来源编号', h('input', { name: 'external_ref', value: query.external_ref || '', size: 18 })),
    h('label', {}, '当事人手机号', h('input', { name: 'party_phone', value: query.party_phone || '', size: 13, inputmode: 'tel' })),
    h('button', { type: 'submit', class: 'primary' }, '查询'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const input = form.elements.namedItem(name);
      const value = input.type === 'checkbox' ? (input.checked ? 'true' : '') : input.value.trim();
      if (value) next.set(name, value);
    }
    location.hash = `#/cases?${next}`;
  });
  const rows = answer.items.map((item) => h('tr', { dataset: { caseId: item.case_id } },
    h('td', {}, link(`#/cases/${encodeURIComponent(item.case_id)}`, item.title || item.case_id)),
    h('td', {}, badge(label('status', item.status), STATUS_CLASS[item.status])),
    h('td', {}, label('category', item.category)),
    h('td', {}, badge(label('risk_level', item.risk_level), `risk-${item.risk_level}`)),
    h('td', {}, item.region_code), h('td', {}, item.org_id || '—'), h('td', {}, when(item.received_at))));
  const more = new URLSearchParams(params);
  if (answer.next_cursor) more.set('cursor', answer.next_cursor);
  view.replaceChildren(h('div', { class: 'page-head' }, h('h1', {}, '案件查询')), section('条件', form),
    section('案件（新收在前）', table(['案件', '状态', '类别', '风险', '区划', '调解组织', '受理时间'], rows, '没有符合条件的案件'),
      answer.next_cursor ? h('p', {}, link(`#/cases?${more}`, '下一页 →')) : null));
}
