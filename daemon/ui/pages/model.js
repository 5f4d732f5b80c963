// Model page: one model's or test's duration over its recent runs (an SVG bar chart, oldest
// on the left) and its last failures, from GET /projects/{id}/nodes/{unique_id}/history.
import { get } from '../api.js';
import { h, svg, enc, badge, copyButton, timeEl, fmtDuration, emptyRow, shortId, PROBLEM_NODE } from '../dom.js';

function chart(runs, projectId) {
  const points = [...runs].reverse().filter((r) => r.execution_time != null);
  if (!points.length) return h('p', { class: 'muted' }, 'No finished run with a duration yet.');
  const max = Math.max(...points.map((r) => r.execution_time), 0.001);
  const W = 720;
  const H = 180;
  const left = 56;
  const bottom = 20;
  const slot = (W - left - 8) / points.length;
  const y = (v) => 8 + (H - bottom - 8) * (1 - v / max);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'history-chart', role: 'img', test: 'duration-chart',
    'aria-label': `Duration over the last ${points.length} runs, longest ${fmtDuration(max)}` });
  for (const f of [0, 0.5, 1]) {
    root.append(svg('line', { x1: left, x2: W - 4, y1: y(max * f), y2: y(max * f), class: 'grid' }),
      svg('text', { x: left - 6, y: y(max * f) + 4, class: 'tick end' }, fmtDuration(max * f)));
  }
  points.forEach((r, i) => {
    const bar = svg('rect', { x: left + i * slot + slot * 0.15, y: y(r.execution_time), width: Math.max(slot * 0.7, 1), height: Math.max(H - bottom - y(r.execution_time), 1), class: `bar s-${r.status}` },
      svg('title', {}, `${r.started_at || ''}: ${r.status}, ${fmtDuration(r.execution_time)} (run ${shortId(r.run_id)})`));
    root.append(svg('a', { href: `#/runs/${enc(r.run_id)}` }, bar));
  });
  root.append(svg('text', { x: left, y: H - 4, class: 'tick start' }, 'older'), svg('text', { x: W - 4, y: H - 4, class: 'tick end' }, 'newer'));
  return root;
}

function median(values) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function render(ctx) {
  const { el, signal } = ctx;
  const [pid, uid] = ctx.params;
  const hist = await get(`/api/v1/projects/${enc(pid)}/nodes/${enc(uid)}/history?limit=100`, { signal });
  const times = hist.runs.map((r) => r.execution_time).filter((t) => t != null);
  const failures = hist.runs.filter((r) => PROBLEM_NODE.has(r.status)).slice(0, 10);
  el.append(
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, hist.name), copyButton(hist.unique_id, 'unique id', 'copy-unique-id')),
    h('p', { class: 'muted' }, `${hist.resource_type} · ${hist.runs.length} recent runs · median ${fmtDuration(median(times))} · longest ${fmtDuration(times.length ? Math.max(...times) : null)}`),
    h('section', { class: 'card' }, h('h2', {}, 'Duration per run'), h('div', { class: 'chart-wrap' }, chart(hist.runs, pid))),
    h('section', { class: 'card', test: 'failures' }, h('h2', {}, 'Last failures'),
      failures.length ? failures.map((r) => h('div', { class: 'failure-item' },
        h('p', {}, badge(r.status), ' ', h('a', { href: `#/runs/${enc(r.run_id)}` }, `run ${shortId(r.run_id)}`), ' · ', r.job_name || '', ' · ', timeEl(r.started_at)),
        r.message ? h('pre', {}, r.message) : null)) : h('p', { class: 'muted' }, 'No failure in these runs.')),
    h('section', { class: 'card' }, h('h2', {}, 'Recent runs'), h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Status', 'Run', 'Job', 'Run status', 'Started', 'Duration'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, hist.runs.length ? hist.runs.map((r) => h('tr', {},
        h('td', {}, badge(r.status)),
        h('th', { scope: 'row' }, h('a', { href: `#/runs/${enc(r.run_id)}`, class: 'mono' }, shortId(r.run_id))),
        h('td', {}, r.job_name || ''),
        h('td', {}, r.run_status),
        h('td', {}, timeEl(r.started_at)),
        h('td', { class: 'num' }, fmtDuration(r.execution_time)))) : emptyRow(6, 'No runs.'))))));
}
