// Overview: every project and its jobs, their ids to copy, each job's last run and next
// scheduled time, and a trigger button. The last runs refresh every 5 seconds.
import { get } from '../api.js';
import { h, enc, badge, copyButton, timeEl, emptyRow, recordTiming } from '../dom.js';
import { triggerControl } from './trigger.js';

function lastRunCell(job) {
  const r = job.last_run;
  if (!r) return h('span', { class: 'muted' }, 'never run');
  return h('a', { href: `#/runs/${enc(r.id)}`, class: 'run-link' }, badge(r.status, 'last-status'), ' ', timeEl(r.finished_at || r.created_at, true));
}

// "Tue 06:00 UTC": a weekday, the time and the zone's name (or offset) in `timeZone`, the
// browser's when undefined; null when this browser does not know the zone.
function weekdayTime(at, timeZone) {
  try {
    return new Intl.DateTimeFormat('en-US', { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short', timeZone })
      .format(new Date(at)).replace(',', '');
  } catch {
    return null;
  }
}

// The next fire time in the job's own zone, named, as the schedule reads ("Tue 2026-12-08
// 06:00 UTC"); below it the same instant in the browser's zone when that reads differently.
function nextRunCell(job) {
  const info = job.schedule_info;
  if (!job.schedule || !info) return h('span', { class: 'muted' }, 'no schedule');
  const next = (info.next_fire_times || [])[0];
  if (!job.enabled) return h('span', { class: 'muted', title: info.description || '' }, 'paused');
  if (!next) return h('span', { class: 'muted' }, info.description || '—');
  const inJobZone = weekdayTime(next.at, info.timezone);
  const here = weekdayTime(next.at);
  const weekday = inJobZone ? `${inJobZone.split(' ')[0]} ` : '';
  return h('span', { title: info.description || '' },
    h('time', { datetime: next.at, title: `${next.at} (UTC)`, test: 'next-run' }, `${weekday}${next.job_zone}`),
    here && here !== inJobZone ? h('small', { class: 'muted', test: 'next-run-here' }, ` · ${here} here`) : null,
    h('br'), h('small', { class: 'muted' }, info.description || ''));
}

function jobRow(job, cells) {
  const last = h('td', { 'data-label': 'Last run' }, lastRunCell(job));
  const next = h('td', { 'data-label': 'Next run' }, nextRunCell(job));
  cells.set(job.id, { last, next });
  return h('tr', { test: 'job-row', 'data-job-id': job.id },
    h('th', { scope: 'row' }, h('a', { href: `#/projects/${enc(job.project_id)}/jobs/${enc(job.id)}`, test: 'job-link' }, job.name),
      h('div', { class: 'sub' }, h('code', { class: 'command' }, job.command))),
    h('td', { 'data-label': 'Job id' }, copyButton(job.id, 'job id', 'copy-job-id')),
    last, next,
    h('td', { 'data-label': 'Trigger' }, triggerControl(job)));
}

function projectSection(project, jobs, cells) {
  const body = h('tbody', {}, jobs.length ? jobs.map((j) => jobRow(j, cells)) : emptyRow(5, 'No jobs. Create one with dagctl job create.'));
  return h('section', { class: 'card', test: 'project', 'data-project-id': project.id },
    h('div', { class: 'card-head' },
      h('h2', {}, project.name),
      copyButton(project.id, 'project id', 'copy-project-id'),
      h('a', { href: `#/runs?project_id=${enc(project.id)}`, class: 'more' }, 'Runs →')),
    h('p', { class: 'muted path', test: 'project-path' }, `${project.type === 'sqlmesh' ? 'SQLMesh' : 'dbt'} · ${project.path}`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'jobs responsive' },
      h('thead', {}, h('tr', {}, ['Job', 'Job id', 'Last run', 'Next run', ''].map((t) => h('th', { scope: 'col' }, t)))),
      body)));
}

export async function render(ctx) {
  const { el, signal } = ctx;
  const t0 = performance.now();
  const { projects } = await get('/api/v1/projects', { signal });
  const lists = await Promise.all(projects.map((p) => get(`/api/v1/projects/${enc(p.id)}/jobs`, { signal })));
  const t1 = performance.now();
  const cells = new Map();
  el.append(h('h1', { tabindex: '-1' }, 'Projects and jobs'));
  if (!projects.length) {
    el.append(h('p', { class: 'card' }, 'No projects yet. Register one on the daemon’s machine with ', h('code', {}, 'dagctl project add PATH'), '.'));
  }
  projects.forEach((p, i) => el.append(projectSection(p, lists[i].jobs, cells)));
  recordTiming('overview', { fetch_ms: t1 - t0, render_ms: performance.now() - t1, rows: cells.size });

  ctx.every(5000, async () => {
    const again = await Promise.all(projects.map((p) => get(`/api/v1/projects/${enc(p.id)}/jobs`, { signal })));
    for (const job of again.flatMap((l) => l.jobs)) {
      const c = cells.get(job.id);
      if (!c) continue;
      c.last.replaceChildren(lastRunCell(job));
      c.next.replaceChildren(nextRunCell(job));
    }
  });
}
