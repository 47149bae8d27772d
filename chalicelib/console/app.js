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

const ROUTES = [  // each page draws into its own container, which a later navigation detaches
  [/^#\/dashboard$/, (slot, params) => dashboardPage(slot, params)],
  [/^#\/workbench$/, (slot, params) => workbenchPage(slot, params)],
  [/^#\/cases$/, (slot, params) => caseListPage(slot, params)],
  [/^#\/cases\/([^/?]+)$/, (slot, params, id) => casePage(slot, decodeURIComponent(id))],
  [/^#\/stats$/, (slot, params) => statsPage(slot, params)],
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
  whoBox.replaceChildren(...[h('span', {}, `${ROLE[who.role] || who.role}：${name}`),
    who.org_name ? h('small', {}, who.org_name) : null,
    h('button', { type: 'button', id: 'sign-out', onclick: () => { signOut(); location.hash = '#/sign-in'; } }, '退出')].filter(Boolean));  // replaceChildren would write a null as the text "null"
}

let generation = 0;
// The number of the latest navigation: a page still loading when another starts draws only into
// its own detached container, and only the latest marks the document ready.

function newSlot() {
  const slot = h('div', { class: 'page' }, h('p', { class: 'muted' }, '正在加载…'));
  view.replaceChildren(slot);
  return slot;
}

async function render(current) {
  const [path, search] = (location.hash || '#/').split('?');
  const params = new URLSearchParams(search || '');
  const who = token() ? me() : null;
  let slot = null;
  try {
    if (path === '#/sign-in' || !who) {
      header(null);
      if (path !== '#/sign-in') { location.hash = '#/sign-in'; return; }  // the hash change renders it
      slot = newSlot();
      await signInPage(slot, (signedIn) => { location.hash = home(signedIn); });
    } else {
      header(who);
      const found = ROUTES.map(([pattern, page]) => [path.match(pattern), page]).find(([match]) => match);
      if (!found) { location.hash = home(who); return; }
      const [match, page] = found;
      slot = newSlot();
      await page(slot, params, ...match.slice(1));
    }
  } catch (error) {
    if (error instanceof Problem && error.status === 401) return;  // already back at sign-in
    (slot || newSlot()).replaceChildren(errorBox(error), h('p', {}, link('#/', '返回首页')));
  }
  if (current === generation) {
    document.body.dataset.ready = path;
    performance.mark(`ready ${path}`);  // the first useful paint, measured by the bench
  }
}

window.addEventListener('hashchange', () => render(++generation));
loadLabels().catch(() => {}).finally(() => render(++generation));
