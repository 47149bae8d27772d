// Sign-in: a staff bearer token pasted in; in the local stage also the demo staff, one click each.

import { api, Problem, signIn } from './api.js';
import { h, section } from './dom.js';
import { ROLE } from './labels.js';

export async function signInPage(view, done) {
  const line = h('p', { class: 'form-error', role: 'alert' });
  const tokenInput = h('textarea', { id: 'token', name: 'token', rows: 3, placeholder: 'Bearer 令牌', autocomplete: 'off' });
  const form = h('form', { class: 'token-form', novalidate: true },
    h('label', { for: 'token' }, '员工令牌（与 API 相同的 Bearer 令牌）'), tokenInput, line,
    h('button', { type: 'submit', class: 'primary' }, '登录'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const bearer = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
    if (!bearer) { line.textContent = '请填写令牌'; return; }
    try { done(await signIn(bearer)); } catch (error) { line.textContent = `令牌无效：${error.detail || error.message}`; }
  });
  const panels = [section('令牌登录', form)];
  try {
    const staff = await api('v1/local/staff', { anonymous: true });
    panels.unshift(section('演示人员（仅本地环境）', demoList(staff.items, line, done)));
  } catch (error) {
    if (!(error instanceof Problem && error.status === 404)) throw error;
  }
  view.replaceChildren(h('div', { class: 'sign-in' }, h('h1', {}, '登录控制台'), panels));
}

function demoList(people, line, done) {
  const groups = ['admin', 'supervisor', 'mediator'].map((role) => {
    const buttons = people.filter((person) => person.role === role).map((person) => h('button', {
      type: 'button', class: 'staff', dataset: { staffId: person.staff_id },
      onclick: async () => {
        try {
          const minted = await api('v1/local/tokens', { method: 'POST', body: { staff_id: person.staff_id }, anonymous: true });
          done(await signIn(minted.token));
        } catch (error) { line.textContent = `登录失败：${error.detail || error.message}`; }
      },
    }, h('strong', {}, person.name), h('small', {}, person.detail)));
    return buttons.length ? h('div', { class: 'staff-group' }, h('h3', {}, ROLE[role]), buttons) : null;
  });
  return h('div', { class: 'staff-list' }, groups);
}
