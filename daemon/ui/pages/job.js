// Job page: the command, the schedule in words with the next fire times, the webhook's
// settings, its signing secret (a local session only: docs/security.md), the delivery log
// with each attempt's answer, redeliver and a test event, and the job's recent runs.
import { get, post, currentSession } from '../api.js';
import { h, enc, badge, copyButton, timeEl, fmtDuration, facts, errorBox, emptyRow, toast, confirmButton, shortId } from '../dom.js';
import { triggerControl } from './trigger.js';

function scheduleCard(job) {
  const info = job.schedule_info;
  const section = h('section', { class: 'card', test: 'schedule' }, h('h2', {}, 'Schedule'));
  if (!job.schedule) {
    section.append(h('p', { class: 'muted' }, 'No schedule: runs start when triggered.'));
    return section;
  }
  section.append(facts([
    ['Cron', h('code', {}, job.schedule)],
    ['In words', h('span', { test: 'schedule-words' }, info ? info.description : '—')],
    ['Time zone', info ? info.timezone : job.timezone],
    ['State', job.enabled ? 'enabled' : 'paused (enabled: false)'],
    ['Catch-up', job.catchup ? 'one run after downtime' : 'off'],
    ['Last fire', job.last_fire_at ? h('span', {}, timeEl(job.last_fire_at), ` · ${job.last_fire_outcome || ''}`) : 'never'],
  ]));
  const next = info && info.next_fire_times ? info.next_fire_times : [];
  if (next.length) {
    section.append(h('h3', {}, 'Next fire times'), h('ol', { class: 'fire-times', test: 'next-fire-times' },
      next.map((f) => h('li', {}, h('time', { datetime: f.at, title: f.at }, f.job_zone), f.local !== f.job_zone ? h('span', { class: 'muted' }, ` (daemon's zone: ${f.local})`) : null))));
  }
  return section;
}

function secretControls(job, section) {
  const session = currentSession();
  if (!session || session.kind !== 'local') {
    section.append(h('p', { class: 'muted', test: 'secret-local-only' }, 'The signing secret is shown only in a session opened with ', h('code', {}, 'dagctl ui'), ' on the daemon’s machine.'));
    return;
  }
  const out = h('div', { class: 'secret', test: 'secret-box' });
  const base = `/api/v1/projects/${enc(job.project_id)}/jobs/${enc(job.id)}/webhook/secret`;
  const showSecret = (secret) => out.replaceChildren(h('code', { test: 'secret' }, secret), ' ', copyButton(secret, 'signing secret', 'copy-secret'));
  const reveal = h('button', { type: 'button', test: 'reveal-secret' }, 'Reveal signing secret');
  reveal.addEventListener('click', async () => {
    try { showSecret((await get(base)).secret); } catch (err) { out.replaceChildren(errorBox(err)); }
  });
  const rotate = confirmButton('Rotate…', 'Rotate: the receiver must get the new secret', async () => {
    try { showSecret((await post(`${base}/rotate`)).secret); toast('New signing secret'); } catch (err) { out.replaceChildren(errorBox(err)); }
  }, 'rotate-secret');
  section.append(h('div', { class: 'row' }, reveal, rotate), out);
}

function webhookCard(job, onTest) {
  const section = h('section', { class: 'card', test: 'webhook' }, h('h2', {}, 'Webhook'));
  if (!job.webhook_url) {
    section.append(h('p', { class: 'muted' }, 'No webhook. Set one with ', h('code', {}, `dagctl webhook set ${job.name} URL`), '.'));
    return section;
  }
  const headers = Object.entries(job.webhook_headers || {});
  section.append(facts([
    ['Sends', job.webhook_enabled ? 'yes' : 'no (webhook_enabled: false)'],
    ['URL', h('code', { class: 'wrap' }, job.webhook_url)],
    ['Events', job.webhook_events && job.webhook_events.length ? job.webhook_events.join(', ') : 'all (completed, failed, partial, cancelled)'],
    ['Headers', headers.length ? h('ul', { class: 'plain' }, headers.map(([k, v]) => h('li', {}, h('code', {}, `${k}: ${v}`)))) : 'none'],
    ['Auth', job.webhook_auth ? job.webhook_auth.type : 'none'],
  ]));
  secretControls(job, section);
  const test = h('button', { type: 'button', test: 'webhook-test' }, 'Send a test event');
  test.addEventListener('click', async () => {
    test.disabled = true;
    try { await onTest(); } finally { test.disabled = false; }
  });
  section.append(h('div', { class: 'row' }, test));
  return section;
}

function attemptsTable(d) {
  if (!d.attempts.length) return h('p', { class: 'muted' }, 'No attempt yet.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'attempts' },
    h('thead', {}, h('tr', {}, ['At', 'Answer', 'Latency', 'Error', 'Response body'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, d.attempts.map((a) => h('tr', {},
      h('td', {}, timeEl(a.at)),
      h('td', {}, a.status_code != null ? `HTTP ${a.status_code}` : '—'),
      h('td', { class: 'num' }, a.latency_ms != null ? `${a.latency_ms} ms` : '—'),
      h('td', {}, a.error || ''),
      h('td', {}, a.response == null ? h('span', { class: 'muted' }, 'admin only') : a.response ? h('pre', { class: 'response' }, a.response) : h('span', { class: 'muted' }, 'empty')))))));
}

// The body as sent is one line of JSON; indent it for reading (it stays the same data).
function prettyJson(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function deliveryItem(d, open, onRedeliver) {
  const redeliver = h('button', { type: 'button', test: 'redeliver' }, 'Redeliver');
  redeliver.addEventListener('click', async () => {
    redeliver.disabled = true;
    try { await onRedeliver(d); } catch (err) { redeliver.after(errorBox(err)); redeliver.disabled = false; }
  });
  const item = h('details', { class: 'delivery', test: 'delivery', 'data-delivery-id': d.id, 'data-status': d.status, open: open },
    h('summary', {}, badge(d.status, 'delivery-status'), ' ', h('span', { class: 'event' }, d.event), ' ', timeEl(d.created_at),
      h('span', { class: 'muted' }, ` · ${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}${d.last_error ? ` · ${d.last_error}` : ''}`)),
    facts([
      ['Delivery', copyButton(d.id, 'delivery id', 'copy-delivery-id')],
      ['Run', d.run_id ? h('a', { href: `#/runs/${enc(d.run_id)}` }, shortId(d.run_id)) : 'none (test event)'],
      ['Request', h('span', {}, h('code', { class: 'wrap' }, `POST ${d.url}`), h('br'), h('small', { class: 'muted' }, `X-Dagctl-Event: ${d.event} · X-Dagctl-Delivery: ${d.id} · signed with the job’s secret`))],
      ['Request body', d.request_body == null ? h('span', { class: 'muted' }, 'admin only') : h('pre', { class: 'response', test: 'request-body' }, prettyJson(d.request_body))],
      ['Next attempt', d.next_attempt_at ? timeEl(d.next_attempt_at) : null],
      ['Finished', d.finished_at ? timeEl(d.finished_at) : null],
    ]),
    attemptsTable(d),
    h('div', { class: 'row' }, redeliver));
  return item;
}

export async function render(ctx) {
  const { el, signal } = ctx;
  const [pid, jid] = ctx.params;
  const base = `/api/v1/projects/${enc(pid)}/jobs/${enc(jid)}`;
  const [job, project] = await Promise.all([get(base, { signal }), get(`/api/v1/projects/${enc(pid)}`, { signal })]);

  const deliveries = h('div', { test: 'deliveries' });
  const openIds = new Set();
  let first = true;
  let shown = '';  // unchanged deliveries are not redrawn: focus and open details stay
  const loadDeliveries = async (force = false) => {
    if (!job.webhook_url) return;
    const { deliveries: list } = await get(`${base}/deliveries?limit=20`, { signal });
    const key = JSON.stringify(list);
    if (key === shown && !force) return;
    shown = key;
    for (const item of deliveries.querySelectorAll('details')) {
      if (item.open) openIds.add(item.dataset.deliveryId); else openIds.delete(item.dataset.deliveryId);
    }
    if (first && list.length) openIds.add(list[0].id);
    first = false;
    deliveries.replaceChildren(list.length ? h('div', {}, list.map((d) => deliveryItem(d, openIds.has(d.id), redeliver))) : h('p', { class: 'muted' }, 'No deliveries yet.'));
  };
  const redeliver = async (d) => {
    await post(`/api/v1/deliveries/${enc(d.id)}/redeliver`);
    toast(`Delivery ${d.id} queued again`);
    openIds.add(d.id);
    await loadDeliveries(true);
  };
  const sendTest = async () => {
    try {
      const d = await post(`${base}/webhook/test`);
      toast('Test event queued');
      openIds.add(d.id);
      await loadDeliveries();
    } catch (err) {
      deliveries.prepend(errorBox(err, 'webhook-test-error'));
    }
  };

  const runsBody = h('tbody');
  const loadRuns = async () => {
    const { runs } = await get(`/api/v1/runs?job_id=${enc(job.id)}&limit=10`, { signal });
    runsBody.replaceChildren(...(runs.length ? runs.map((r) => h('tr', {},
      h('td', {}, badge(r.status)),
      h('th', { scope: 'row' }, h('a', { href: `#/runs/${enc(r.id)}`, class: 'mono' }, shortId(r.id))),
      h('td', {}, r.triggered_by),
      h('td', {}, timeEl(r.created_at)),
      h('td', { class: 'num' }, fmtDuration(r.duration_seconds)))) : [emptyRow(5, 'No runs yet.')]));
  };

  el.append(
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, job.name), copyButton(job.id, 'job id', 'copy-job-id')),
    h('p', { class: 'muted' }, 'Project ', h('a', { href: `#/runs?project_id=${enc(project.id)}` }, project.name), ' ', copyButton(project.id, 'project id', 'copy-project-id')),
    h('div', { class: 'grid2' }, h('section', { class: 'card' }, h('h2', {}, 'Command'),
      facts([
        ['Command', h('code', { test: 'job-command' }, job.command)],
        ['Timeout', job.timeout_seconds ? fmtDuration(job.timeout_seconds) : 'none'],
        ['Created', timeEl(job.created_at)],
        ['Changed', timeEl(job.updated_at)],
      ]),
      triggerControl(job)),
    scheduleCard(job)),
    webhookCard(job, sendTest),
    job.webhook_url ? h('section', { class: 'card' }, h('h2', {}, 'Deliveries'), deliveries) : null,
    h('section', { class: 'card' }, h('h2', {}, 'Recent runs ', h('a', { href: `#/runs?job_id=${enc(job.id)}`, class: 'more' }, 'all →')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'runs' },
        h('thead', {}, h('tr', {}, ['Status', 'Run', 'Trigger', 'Created', 'Duration'].map((t) => h('th', { scope: 'col' }, t)))), runsBody))));

  await Promise.all([loadDeliveries(), loadRuns()]);
  ctx.every(3000, async () => { await loadDeliveries(); await loadRuns(); });
}
