// The run's timeline: one row per dbt thread, one bar per node from its start to its end
// (now, while it runs), and the critical path marked.
//
// The critical path, without the DAG: the chain that ends with the node that finished
// last, where each node's predecessor is the node (on any thread) that finished last at or
// before it started. A dbt node starts as soon as its last upstream node ends and a thread
// is free, so this is the chain of waits that the run's length is made of: shortening
// any node on it ends the run sooner, shortening any other does not (docs/ui.md).
import { svg, fmtDuration } from '../dom.js';

const TOLERANCE_MS = 50;  // dbt stamps start and end separately; allow for rounding

export function spans(nodes, now = Date.now()) {
  // Skipped nodes did no work: they are in the table, not on the timeline.
  return nodes.filter((n) => n.started_at && n.status !== 'skipped').map((n) => {
    const start = Date.parse(n.started_at);
    const end = n.finished_at ? Date.parse(n.finished_at) : n.status === 'running' ? now : start;
    return { node: n, start, end: Math.max(end, start), thread: n.thread || 'main' };
  });
}

// The critical path's unique ids (see above), in O(n log n).
export function criticalPath(list) {
  const byEnd = [...list].sort((a, b) => a.end - b.end);
  const path = new Set();
  let cur = byEnd[byEnd.length - 1];
  while (cur && !path.has(cur.node.unique_id)) {
    path.add(cur.node.unique_id);
    // The last node ending at or before cur starts, other than cur itself.
    let lo = 0;
    let hi = byEnd.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byEnd[mid].end <= cur.start + TOLERANCE_MS) lo = mid + 1; else hi = mid;
    }
    let i = lo - 1;
    while (i >= 0 && (byEnd[i] === cur || path.has(byEnd[i].node.unique_id) || byEnd[i].start > cur.start)) i -= 1;
    cur = i >= 0 ? byEnd[i] : null;
  }
  return path;
}

function niceStep(totalMs, ticks) {
  const raw = totalMs / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) || pow * 10;
}

const collator = new Intl.Collator(undefined, { numeric: true });

// The SVG. `width` is the room there is; a bar is at least 2 px wide so short nodes show.
export function gantt(nodes, { width = 900, now = Date.now(), href = () => null } = {}) {
  const list = spans(nodes, now);
  if (!list.length) return null;
  const threads = [...new Set(list.map((s) => s.thread))].sort(collator.compare);
  const t0 = Math.min(...list.map((s) => s.start));
  const t1 = Math.max(...list.map((s) => s.end), t0 + 1);
  const critical = criticalPath(list);
  const label = 112;
  const rowH = 22;
  const top = 22;
  const plot = Math.max(width - label - 8, 200);
  const x = (t) => label + ((t - t0) / (t1 - t0)) * plot;
  const height = top + threads.length * rowH + 6;
  const root = svg('svg', { viewBox: `0 0 ${label + plot + 8} ${height}`, width: label + plot + 8, height, class: 'gantt', role: 'img', 'aria-label': `Timeline of ${list.length} nodes on ${threads.length} threads; the critical path is outlined`, test: 'gantt' });
  const step = niceStep(t1 - t0, 8);
  for (let t = 0; t <= t1 - t0; t += step) {
    root.append(svg('line', { x1: x(t0 + t), x2: x(t0 + t), y1: top - 4, y2: height, class: 'grid' }),
      svg('text', { x: x(t0 + t), y: 12, class: 'tick' }, fmtDuration(t / 1000)));
  }
  threads.forEach((thread, row) => {
    const y = top + row * rowH;
    const name = thread.replace(/ \(worker\)$/, '');  // dbt's "Thread-1 (worker)"
    root.append(svg('text', { x: 4, y: y + 15, class: 'thread' }, name.length > 16 ? `${name.slice(0, 15)}…` : name, svg('title', {}, thread)));
  });
  for (const s of list) {
    const y = top + threads.indexOf(s.thread) * rowH + 3;
    const onPath = critical.has(s.node.unique_id);
    const w = Math.max(x(s.end) - x(s.start), 2);
    const bar = svg('rect', { x: x(s.start), y, width: w, height: rowH - 6, rx: 2, class: `bar s-${s.node.status}${onPath ? ' critical' : ''}`, test: onPath ? 'gantt-critical' : 'gantt-bar' },
      svg('title', {}, `${s.node.name} (${s.node.resource_type}): ${s.node.status}, ${fmtDuration((s.end - s.start) / 1000)}${onPath ? ', on the critical path' : ''}`));
    const link = href(s.node);
    root.append(link ? svg('a', { href: link }, bar) : bar);
  }
  return { svg: root, critical };
}
