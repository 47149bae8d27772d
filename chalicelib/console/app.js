// The console's entry: sign-in state, navigation by role, and the hash router.

import { Problem, me, signOut, token } from './api.js';
import { casePage } from './casepage.js';
import { caseListPage } from './cases.js';
import { dashboardPage } from './dashboard.js';
import { errorBox, h, link } from './dom.js';
import { ROLE, loadLabels } from './labels.js';
import { signInPage } from './signin.js';
import { statsPage } from './stats.js';
import { workbenchPage } from './workbench.js';

const view = document.getElementById('view');

const NAV = {
  admin: [['#/dashboard', '一屏观全域'], ['#/cases', '案件查询'], ['#/stats', '统计分析']],
  supervisor: [['#/dashboard', '一屏观全域'], ['#/cases', '案件查询'], ['#/stats', '统计分析']],
  mediator: [['#/workbench', '我的工作台']],
};

const ROUTES = [
  [/^#\/dashboard$/, (params) => dashboardPage(view, params)],
  [/^#\/workbench$/, (params) => workbenchPage(view, params)],
  [/^#\/cases$/, (params) => caseListPage(view, params)],
  [/^#\/cases\/([^/?]+)$/, (params, id) => casePage(view, decodeURIComponent(id))],
  [/^#\/stats$/, (params) => statsPage(view, params)],
];

function home(who) {
  return who && who.role === 'mediator' ? '#/workbench' : '#/dashboard';
}

function header(who) {
  const nav = document.getElementById('nav');
  const whoBox = document.getElementById('who');
  if (!who) {
    nav.replaceChildren();
    whoBox.replaceChildren();
    return;
  }
  const here = location.hash.split('?')[0];
  nav.replaceChildren(...(NAV[who.role] || []).map(([href, title]) => {
    const item = link(href, title);
    if (here.startsWith(href)) item.setAttribute('aria-current', 'page');
    return item;
  }));
  const name = who.mediator_name || who.jurisdiction_name || who.subject;
  whoBox.replaceChildren(h('span', {}, `${ROLE[who.role] || who.role}：${name}`),
    who.org_name ? h('small', {}, who.org_name) : null,
    h('button', { type: 'button', id: 'sign-out', onclick: () => { signOut(); location.hash = '#/sign-in'; } }, '退出'));
}

async function render() {
  const [path, search] = (location.hash || '#/').split('?');
  const params = new URLSearchParams(search || '');
  const who = token() ? me() : null;
  if (path === '#/sign-in' || !who) {
    header(null);
    if (path !== '#/sign-in') { location.hash = '#/sign-in'; return; }
    await signInPage(view, (signedIn) => { location.hash = home(signedIn); });
    return;
  }
  header(who);
  const found = ROUTES.map(([pattern, page]) => [path.match(pattern), page]).find(([match]) => match);
  if (!found) { location.hash = home(who); return; }
  const [match, page] = found;
  view.replaceChildren(h('p', { class: 'muted' }, '正在加载…'));
  await page(params, ...match.slice(1));
}

async function safely() {
  try {
    await render();
  } catch (error) {
    if (error instanceof Problem && error.status === 401) return;  // already back at sign-in
    view.replaceChildren(errorBox(error), h('p', {}, link('#/', '返回首页')));
  }
  document.body.dataset.ready = location.hash.split('?')[0];
  performance.mark(`ready ${document.body.dataset.ready}`);  // the first useful paint, measured by the bench
}

window.addEventListener('hashchange', safely);
loadLabels().catch(() => {}).finally(safely);
