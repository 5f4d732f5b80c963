// Run page: status and phase live (GET /runs/{id} each second until the run ends), the node
// table, the timeline per thread with the critical path, the live log, cancel and retry,
// and the artifacts to download (docs/ui.md).
import { get, post, currentSession, ApiError } from '../api.js';
import { h, enc, badge, copyButton, timeEl, fmtTime, fmtDuration, fmtBytes, stats, shortId, errorBox, emptyRow, recordTiming, toast, TERMINAL, PROBLEM_NODE } from '../dom.js';
import { gantt } from './gantt.js';
import { followLog } from './log.js';

const COLUMNS = [
  ['status', 'Status', (n) => n.status],
  ['name', 'Node', (n) => n.name],
  ['resource_type', 'Type', (n) => n.resource_type],
  ['thread', 'Thread', (n) => n.thread || ''],
  ['started_at', 'Started', (n) => n.started_at || '\uffff'],
  ['execution_time', 'Duration', (n) => n.execution_time ?? -1],
  ['rows_affected', 'Rows', (n) => n.rows_affected ?? -1],
];

const modelHref = (run, n) => `#/projects/${enc(run.project_id)}/nodes/${enc(n.unique_id)}`;

// The node the failure started at: the problem node that finished first (what came after
// it was skipped or failed in its wake).
function rootError(nodes) {
  const bad = nodes.filter((n) => (n.status === 'error' || n.status === 'fail') && n.message);
  bad.sort((a, b) => (a.finished_at || '\uffff').localeCompare(b.finished_at || '\uffff'));
  return bad[0] || null;
}

class NodeTable {
  constructor(run) {
    this.run = run;
    this.nodes = [];
    this.sort = { key: null, dir: 1 };
    this.filter = '';
    this.status = '';
    this.body = h('div', { role: 'rowgroup' });
    this.statusSelect = h('select', { id: 'node-status', test: 'node-status-filter' }, h('option', { value: '' }, 'Any status'));
    this.statusSelect.addEventListener('change', () => { this.status = this.statusSelect.value; this.draw(); });
    const search = h('input', { id: 'node-filter', type: 'search', placeholder: 'name, type or thread', test: 'node-filter', autocomplete: 'off' });
    search.addEventListener('input', () => { this.filter = search.value.toLowerCase(); this.draw(); });
    this.heads = COLUMNS.map(([key, title]) => {
      const btn = h('button', { type: 'button', class: 'sort', test: `sort-${key}` }, title);
      btn.addEventListener('click', () => {
        this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : 1 };
        this.draw();
      });
      return h('div', { role: 'columnheader', 'aria-sort': 'none', class: `c-${key}` }, btn);
    });
    this.count = h('span', { class: 'muted', 'aria-live': 'polite' });
    this.el = h('div', {},
      h('div', { class: 'toolbar' },
        h('label', { for: 'node-filter' }, 'Filter'), search,
        h('label', { for: 'node-status' }, 'Status'), this.statusSelect, this.count),
      // A grid of rows rather than a <table>: each row skips layout while it is off screen
      // (content-visibility), which keeps a 500-node run fast (docs/benchmarks.md).
      h('div', { class: 'table-wrap' }, h('div', { role: 'table', class: 'node-grid', test: 'node-table', 'aria-label': 'Nodes of this run' },
        h('div', { role: 'rowgroup' }, h('div', { role: 'row', class: 'ng-row ng-head' }, this.heads)), this.body)));
  }

  update(nodes) {
    this.nodes = nodes;
    const present = [...new Set(nodes.map((n) => n.status))].sort();
    const have = [...this.statusSelect.options].slice(1).map((o) => o.value);
    if (present.join() !== have.join()) {
      this.statusSelect.replaceChildren(h('option', { value: '' }, 'Any status'), ...present.map((s) => h('option', { value: s, selected: s === this.status }, s)));
    }
    this.draw();
  }

  draw() {
    let list = this.nodes;
    if (this.status) list = list.filter((n) => n.status === this.status);
    if (this.filter) list = list.filter((n) => `${n.name} ${n.unique_id} ${n.resource_type} ${n.thread || ''}`.toLowerCase().includes(this.filter));
    if (this.sort.key) {
      const get = COLUMNS.find((c) => c[0] === this.sort.key)[2];
      const dir = this.sort.dir;
      list = [...list].sort((a, b) => {
        const x = get(a);
        const y = get(b);
        return (typeof x === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
      });
    }
    COLUMNS.forEach(([key], i) => this.heads[i].setAttribute('aria-sort', this.sort.key === key ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none'));
    const rows = document.createDocumentFragment();
    for (const n of list) {
      rows.append(h('div', { role: 'row', class: `ng-row${PROBLEM_NODE.has(n.status) ? ' problem' : ''}`, test: 'node-row', 'data-status': n.status, 'data-unique-id': n.unique_id },
        h('div', { role: 'cell', 'data-label': 'Status' }, badge(n.status, 'node-status')),
        h('div', { role: 'rowheader', 'data-label': 'Node' }, h('a', { href: modelHref(this.run, n), title: n.unique_id }, n.name)),
        h('div', { role: 'cell', 'data-label': 'Type' }, n.resource_type),
        h('div', { role: 'cell', 'data-label': 'Thread', title: n.thread }, n.thread ? n.thread.replace(/ \(worker\)$/, '') : '—'),
        h('div', { role: 'cell', 'data-label': 'Started' }, n.started_at ? h('time', { datetime: n.started_at, title: fmtTime(n.started_at) }, fmtTime(n.started_at).slice(11)) : '—'),
        h('div', { role: 'cell', 'data-label': 'Duration', class: 'num' }, fmtDuration(n.execution_time)),
        h('div', { role: 'cell', 'data-label': 'Rows', class: 'num' }, n.rows_affected ?? '—')));
      if (n.message && (PROBLEM_NODE.has(n.status) || n.failures)) {
        rows.append(h('div', { role: 'row', class: 'ng-message' }, h('div', { role: 'cell' }, h('pre', { test: 'node-error' }, n.message))));
      }
    }
    if (!list.length) rows.append(h('div', { role: 'row', class: 'ng-empty muted' }, h('div', { role: 'cell' }, this.nodes.length ? 'No node matches the filter.' : 'No nodes yet.')));
    this.body.replaceChildren(rows);
    this.count.textContent = `${list.length} of ${this.nodes.length} nodes`;
  }
}

function phase(run) {
  const p = run.progress;
  if (!p) return null;
  return `${p.phase}${p.total ? ` · ${p.done} of ${p.total} nodes` : ''}${p.waiting_for ? ` · waiting for ${p.waiting_for}` : ''}`;
}

function summary(run) {
  const job = run.job_current_name ? h('a', { href: `#/projects/${enc(run.project_id)}/jobs/${enc(run.job_id)}` }, run.job_current_name) : h('span', {}, 'deleted');
  return stats([
    ['Project', run.project_name],
    ['Job', job],
    ['Triggered by', run.triggered_by],
    ['Retry of', run.retry_of ? h('a', { href: `#/runs/${enc(run.retry_of)}`, class: 'mono', test: 'retry-of' }, shortId(run.retry_of)) : null],
    ['Commit', run.git_commit ? h('span', { class: 'mono', title: run.git_commit, test: 'git-commit' }, run.git_commit.slice(0, 12)) : null],
    ['Created', timeEl(run.created_at)],
    ['Started', timeEl(run.start_time)],
    ['Ended', run.end_time ? timeEl(run.end_time) : null],
    ['Duration', run.duration_seconds != null ? fmtDuration(run.duration_seconds) : null],
    ['Exit code', run.exit_code != null ? String(run.exit_code) : null],
    ['Name', run.job_name],
  ]);
}

// A SQLMesh plan's summary (docs/sqlmesh.md, Plans): one line per kind of change.
function planSummary(run) {
  const plan = run.plan;
  if (!plan || typeof plan !== 'object') return null;
  const names = (list) => (Array.isArray(list) ? list : [])
    .map((x) => (typeof x === 'string' ? x : x && x.model ? `${x.model}${x.intervals ? ` (${x.intervals})` : ''}` : ''))
    .filter(Boolean).join(', ');
  const rows = [['Environment', `${plan.environment || '?'}${plan.applied === true ? ', applied' : plan.applied === false ? ', not applied' : ''}`]];
  for (const [key, label] of [['added', 'Added'], ['removed', 'Removed'], ['directly_modified', 'Modified'],
    ['indirectly_modified', 'Indirectly modified'], ['metadata_updated', 'Metadata'], ['backfill', 'Backfill']]) {
    const total = plan.counts && Number.isInteger(plan.counts[key]) ? plan.counts[key] : 0;
    const shown = Array.isArray(plan[key]) ? plan[key].length : 0;
    const text = names(plan[key]) + (total > shown && shown ? ` and ${total - shown} more` : '');
    if (text) rows.push([label, text]);
  }
  return h('div', { test: 'plan' }, h('h3', {}, 'Plan'), stats(rows));
}

function slowest(run) {
  if (!run.slowest_nodes || !run.slowest_nodes.length) return null;
  return h('ol', { class: 'slowest' }, run.slowest_nodes.map((n) => h('li', {}, h('a', { href: modelHref(run, n) }, n.name), ` ${fmtDuration(n.execution_time)}`)));
}

export async function render(ctx) {
  const { el, signal } = ctx;
  const [id] = ctx.params;
  const session = currentSession();
  let run = await get(`/api/v1/runs/${enc(id)}`, { signal });

  const statusEl = h('span', { class: 'title-status' });
  const head = h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, 'Run'), copyButton(run.id, 'run id', 'copy-run-id'), statusEl);
  const actions = h('div', { class: 'actions' });
  const info = h('div', { class: 'card summary' });
  const failure = h('div');
  const table = new NodeTable(run);
  const timeline = h('div', { class: 'gantt-wrap' });
  const logPre = h('pre', { class: 'log', test: 'log', tabindex: '0', 'aria-label': 'run output' });
  const logState = h('span', { class: 'muted', test: 'log-state' });
  const artifacts = h('div', { test: 'artifacts' });
  el.append(head, actions, info, failure,
    h('section', { class: 'card' }, h('h2', {}, 'Nodes'), table.el),
    h('section', { class: 'card' }, h('h2', {}, 'Timeline'),
      h('p', { class: 'muted legend' }, 'One row per thread. Outlined bars are the critical path: the chain of nodes the run’s end waited on.'), timeline),
    h('section', { class: 'card' }, h('h2', {}, 'Log ', logState), logPre),
    h('section', { class: 'card' }, h('h2', {}, 'Artifacts'), artifacts));

  const drawRun = () => {
    statusEl.replaceChildren(badge(run.status, 'run-status'), ' ', h('span', { class: 'muted', test: 'run-phase' }, phase(run) || ''));
    info.replaceChildren(h('p', { class: 'command-line' }, h('code', { test: 'run-command' }, run.command)), summary(run));
    const slow = slowest(run);
    if (slow) info.append(h('h3', {}, 'Slowest nodes'), slow);
    const plan = planSummary(run);
    if (plan) info.append(plan);
    drawFailure(table.nodes);
    actions.replaceChildren();
    const canAct = session && session.scope !== 'read';
    if (!TERMINAL.has(run.status) && canAct) {
      const cancel = h('button', { type: 'button', class: 'danger', test: 'cancel' }, 'Cancel run');
      cancel.addEventListener('click', async () => {
        cancel.disabled = true;
        try { run = await post(`/api/v1/runs/${enc(run.id)}/cancel`); drawRun(); toast('Cancel requested'); } catch (err) { actions.append(errorBox(err, 'action-error')); }
      });
      actions.append(cancel);
    }
    if (['failed', 'partial', 'error'].includes(run.status) && canAct) {
      const retry = h('button', { type: 'button', class: 'primary', test: 'retry' }, 'Retry failed nodes');
      retry.addEventListener('click', async () => {
        retry.disabled = true;
        try { const res = await post(`/api/v1/runs/${enc(run.id)}/retry`); location.hash = `#/runs/${enc(res.job_run_id)}`; } catch (err) { actions.append(errorBox(err, 'action-error')); retry.disabled = false; }
      });
      actions.append(retry);
    }
  };

  let lastNodes = '';
  const drawNodes = (nodes) => {
    const key = JSON.stringify(nodes);
    if (key === lastNodes) return;
    lastNodes = key;
    const t0 = performance.now();
    const width = Math.max(timeline.clientWidth || 900, 600);  // read before the table grows: no second layout
    table.update(nodes);
    const tTable = performance.now();
    const chart = gantt(nodes, { width, href: (n) => modelHref(run, n) });
    timeline.replaceChildren(chart ? chart.svg : h('p', { class: 'muted' }, 'No node has started yet.'));
    const tChart = performance.now();
    drawFailure(nodes);
    const tLayout = performance.now();
    void el.offsetHeight;
    recordTiming('run', { render_ms: performance.now() - t0, table_ms: tTable - t0, chart_ms: tChart - tTable, layout_ms: performance.now() - tLayout, rows: nodes.length });
  };

  let failureKey = '';
  const drawFailure = (nodes) => {
    const root = rootError(nodes);
    const key = JSON.stringify([run.error_message, root && root.unique_id, root && root.message]);
    if (key === failureKey) return;
    failureKey = key;
    failure.replaceChildren();
    if (run.error_message || root) {
      failure.append(h('section', { class: 'card failure', test: 'run-failure' },
        h('h2', {}, 'What went wrong'),
        root ? h('div', {}, h('p', {}, 'First failing node: ', h('a', { href: modelHref(run, root), test: 'root-node' }, root.name), ` (${root.resource_type}, ${root.status})`),
          h('pre', { test: 'root-error' }, root.message)) : null,
        run.error_message ? h('details', { open: !root }, h('summary', {}, 'The run’s error message'), h('pre', { test: 'run-error' }, run.error_message)) : null));
    }
  };

  const loadNodes = async () => {
    try {
      const { nodes } = await get(`/api/v1/runs/${enc(run.id)}/nodes`, { signal });
      drawNodes(nodes);
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      if (!(err instanceof ApiError && err.status === 404 && lastNodes === '')) throw err;
      table.body.replaceChildren(h('div', { role: 'row', class: 'ng-empty muted' }, h('div', { role: 'cell' }, 'This daemon keeps no node records.')));
    }
  };

  const loadArtifacts = async () => {
    try {
      const list = await get(`/api/v1/runs/${enc(run.id)}/artifacts`, { signal });
      artifacts.replaceChildren(list.artifacts.length
        ? h('ul', { class: 'artifacts' }, list.artifacts.map((a) => h('li', {},
          h('a', { href: `/api/v1/runs/${enc(run.id)}/artifacts/${enc(a.name)}`, download: a.name, test: 'artifact-link' }, a.name),
          h('span', { class: 'muted' }, ` ${fmtBytes(a.size)} · `, timeEl(a.modified_at)))))
        : h('p', { class: 'muted' }, TERMINAL.has(run.status) ? 'This run left no artifacts.' : 'None yet.'));
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      artifacts.replaceChildren(errorBox(err));
    }
  };

  drawRun();
  await loadNodes();
  await loadArtifacts();
  followLog(run.id, logPre, signal, (state) => { logState.textContent = `(${state})`; }).run(() => TERMINAL.has(run.status));

  if (!TERMINAL.has(run.status)) {
    ctx.every(1000, async () => {
      if (TERMINAL.has(run.status)) return;
      run = await get(`/api/v1/runs/${enc(run.id)}`, { signal });
      drawRun();
      await loadNodes();
      if (TERMINAL.has(run.status)) await loadArtifacts();
    });
  }
}
