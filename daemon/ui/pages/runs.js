// Runs: the list, newest first, with filters (project, job, status, trigger source, time
// range) and paging by `before` cursors. Only one page is fetched and rendered, however
// many runs are stored (docs/benchmarks.md has the timing with 100,000 runs).
import { get } from '../api.js';
import { h, enc, badge, shortId, timeEl, fmtDuration, emptyRow, recordTiming, TERMINAL } from '../dom.js';

const STATUSES = ['queued', 'running', 'success', 'partial', 'failed', 'error', 'cancelled'];
const SOURCES = ['manual', 'schedule', 'retry'];
const FILTERS = ['project_id', 'job_id', 'status', 'triggered_by', 'since', 'until'];
const LIMITS = ['25', '50', '100', '200'];

// The cursors of the pages before this one, to go back ("Newer"); kept while the filters stay.
let cursors = { key: '', stack: [] };

function select(name, label, options, value, test) {
  const id = `f-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, name, test }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))));
}

function textField(name, label, value, placeholder) {
  const id = `f-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('input', { id, name, type: 'text', value: value || '', placeholder, test: `filter-${name}`, autocomplete: 'off', spellcheck: 'false' }));
}

function nodeSummary(run) {
  const counts = run.node_counts && Object.keys(run.node_counts).length ? run.node_counts : run.results || {};
  const parts = Object.entries(counts).map(([s, n]) => h('span', { class: `count s-${s}`, title: s }, `${n} ${s}`));
  return parts.length ? parts : h('span', { class: 'muted' }, '—');
}

function runRow(run) {
  const job = run.job_current_name || run.job_name;
  return h('tr', { test: 'run-row', 'data-run-id': run.id, 'data-status': run.status },
    h('td', { 'data-label': 'Status' }, badge(run.status)),
    h('th', { scope: 'row', 'data-label': 'Run' }, h('a', { href: `#/runs/${enc(run.id)}`, class: 'mono', title: run.id }, shortId(run.id))),
    h('td', { 'data-label': 'Project' }, run.project_name || ''),
    h('td', { 'data-label': 'Job' }, run.job_current_name ? h('a', { href: `#/projects/${enc(run.project_id)}/jobs/${enc(run.job_id)}` }, job) : job),
    h('td', { 'data-label': 'Trigger' }, run.triggered_by),
    h('td', { 'data-label': 'Created' }, timeEl(run.created_at)),
    h('td', { 'data-label': 'Duration', class: 'num' }, TERMINAL.has(run.status) || run.status === 'running' ? fmtDuration(run.duration_seconds) : '—'),
    h('td', { 'data-label': 'Nodes', class: 'counts' }, nodeSummary(run)));
}

export async function render(ctx) {
  const { el, query, signal } = ctx;
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) || '']));
  const limit = LIMITS.includes(query.get('limit')) ? query.get('limit') : '50';
  const before = query.get('before') || '';
  const key = JSON.stringify([filters, limit]);
  if (cursors.key !== key) cursors = { key, stack: [] };

  const t0 = performance.now();
  const params = new URLSearchParams({ limit });
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  if (before) params.set('before', before);
  let page = null;
  let failure = null;
  const [{ projects }] = await Promise.all([
    get('/api/v1/projects', { signal }),
    get(`/api/v1/runs?${params}`, { signal }).then((p) => { page = p; }, (err) => {
      if (err.name === 'AbortError') throw err;
      failure = err;  // a bad filter: shown under the form, which stays usable
    }),
  ]);
  const t1 = performance.now();

  const jobs = projects.filter((p) => !filters.project_id || p.id === filters.project_id || p.name === filters.project_id)
    .flatMap((p) => p.jobs.map((j) => [j.id, projects.length > 1 ? `${p.name}/${j.name}` : j.name]));
  const form = h('form', { class: 'filters', test: 'run-filters', 'aria-label': 'Filter runs' },
    select('project_id', 'Project', [['', 'All projects'], ...projects.map((p) => [p.id, p.name])], filters.project_id, 'filter-project'),
    select('job_id', 'Job', [['', 'All jobs'], ...jobs], filters.job_id, 'filter-job'),
    select('status', 'Status', [['', 'Any status'], ...STATUSES.map((s) => [s, s]), ['failed,error', 'failed or error']], filters.status, 'filter-status'),
    select('triggered_by', 'Trigger', [['', 'Any trigger'], ...SOURCES.map((s) => [s, s])], filters.triggered_by, 'filter-trigger'),
    textField('since', 'Since', filters.since, '24h or 2026-12-01T00:00:00Z'),
    textField('until', 'Until', filters.until, '1h or 2026-12-02T00:00:00Z'),
    select('limit', 'Per page', LIMITS.map((l) => [l, l]), limit, 'filter-limit'),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'primary', test: 'filter-apply' }, 'Apply'),
      h('a', { href: '#/runs', class: 'button quiet' }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v && !(k === 'limit' && v === '50')) next.set(k, String(v).trim());
    location.hash = `#/runs?${next}`;
  });
  // A project change narrows the job list at once.
  form.elements.project_id.addEventListener('change', () => {
    form.elements.job_id.value = '';  // a job of the project left behind would match nothing
    form.requestSubmit();
  });

  const navigate = (cursor) => {
    const next = new URLSearchParams(query);
    if (cursor) next.set('before', cursor); else next.delete('before');
    location.hash = `#/runs?${next}`;
  };

  el.append(h('h1', { tabindex: '-1' }, 'Runs'), form);
  if (failure) {
    el.append(h('p', { class: 'error', role: 'alert', test: 'runs-error' }, failure.message));
    return;
  }

  const t2 = performance.now();
  const body = h('tbody');
  const rows = document.createDocumentFragment();
  for (const run of page.runs) rows.append(runRow(run));
  body.append(page.runs.length ? rows : emptyRow(8, before ? 'No older runs.' : 'No runs match these filters.'));
  const older = h('button', { type: 'button', test: 'page-older', disabled: !page.next }, 'Older →');
  const newer = h('button', { type: 'button', test: 'page-newer', disabled: !before }, '← Newer');
  const newest = h('button', { type: 'button', class: 'quiet', test: 'page-newest', disabled: !before }, 'Newest');
  older.addEventListener('click', () => { cursors.stack.push(before); navigate(page.next); });
  newer.addEventListener('click', () => navigate(cursors.stack.length ? cursors.stack.pop() : ''));
  newest.addEventListener('click', () => { cursors.stack = []; navigate(''); });
  el.append(
    h('div', { class: 'table-wrap' }, h('table', { class: 'runs responsive', test: 'runs-table' },
      h('thead', {}, h('tr', {}, ['Status', 'Run', 'Project', 'Job', 'Trigger', 'Created', 'Duration', 'Nodes'].map((t) => h('th', { scope: 'col' }, t)))),
      body)),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, newest, newer, h('span', { class: 'muted' }, `${page.runs.length} runs on this page`), older));
  void el.offsetHeight;  // layout included in the timing
  recordTiming('runs', { fetch_ms: t1 - t0, render_ms: performance.now() - t2, rows: page.runs.length });
}
