// The web UI's shell: the session, the navigation and the hash router (docs/ui.md). Each
// page is a module under pages/, loaded when first opened, with
// `render(ctx)`; ctx.signal is aborted when the page is left, which stops its polling
// and its log stream.
import { loadSession, logout, currentSession } from './api.js';
import { h, errorBox, toast } from './dom.js';

const ROUTES = [
  [/^\/$/, 'overview', () => import('./pages/overview.js')],
  [/^\/runs$/, 'runs', () => import('./pages/runs.js')],
  [/^\/runs\/([^/]+)$/, 'runs', () => import('./pages/run.js')],
  [/^\/projects\/([^/]+)\/jobs\/([^/]+)$/, 'overview', () => import('./pages/job.js')],
  [/^\/projects\/([^/]+)\/nodes\/(.+)$/, 'runs', () => import('./pages/model.js')],
  [/^\/tokens$/, 'tokens', () => import('./pages/tokens.js')],
];

let current = null;  // { controller } of the page shown

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

// Runs every(ms, fn) until the page is left. A failed poll shows its error briefly and
// the next one tries again (a daemon restart, a dropped connection).
function timers(signal) {
  return (ms, fn) => {
    let handle = 0;
    const tick = async () => {
      if (signal.aborted) return;
      try {
        await fn();
      } catch (err) {
        if (!signal.aborted && err.name !== 'AbortError') toast(err.message);
      } finally { if (!signal.aborted) handle = setTimeout(tick, ms); }
    };
    handle = setTimeout(tick, ms);
    signal.addEventListener('abort', () => clearTimeout(handle));
  };
}

async function show() {
  if (current) current.controller.abort();
  const controller = new AbortController();
  current = { controller };
  const { path, query } = parseHash();
  const main = document.getElementById('main');
  const el = h('div', { class: 'page' });
  main.replaceChildren(el);
  const match = ROUTES.map(([re, nav, load]) => ({ m: path.match(re), nav, load })).find((r) => r.m);
  for (const a of document.querySelectorAll('nav a')) {
    if (match && a.dataset.nav === match.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!match) {
    el.append(h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/' }, 'Back to the overview')));
    focusHeading(el);
    return;
  }
  const ctx = {
    el,
    params: match.m.slice(1).map(decodeURIComponent),
    query,
    session: currentSession(),
    signal: controller.signal,
    every: timers(controller.signal),
  };
  try {
    const page = await match.load();
    await page.render(ctx);
  } catch (err) {
    if (controller.signal.aborted || err.name === 'AbortError') return;
    el.append(errorBox(err, 'page-error'));
  }
  if (!controller.signal.aborted) focusHeading(el);
}

// After a navigation, focus goes to the new page's heading (screen readers announce it; the
// keyboard continues from there), but not on the first load.
let firstLoad = true;
function focusHeading(el) {
  const title = el.querySelector('h1');
  document.title = title ? `${title.textContent} · dagctl` : 'dagctl';
  if (firstLoad) { firstLoad = false; return; }
  if (title) title.focus({ preventScroll: false });
}

async function start() {
  let session;
  try {
    session = await loadSession();
  } catch (err) {
    if (err.status !== 401) document.getElementById('main').replaceChildren(errorBox(err, 'page-error'));
    return;
  }
  document.getElementById('session').textContent = session.kind === 'local' ? `local session · ${session.scope}` : `token session · ${session.scope}`;
  document.getElementById('nav-tokens').hidden = session.kind !== 'local';
  document.getElementById('logout').addEventListener('click', () => logout());
  document.getElementById('skip').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  window.addEventListener('hashchange', show);
  await show();
}

start();
