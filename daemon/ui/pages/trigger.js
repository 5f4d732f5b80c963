// The trigger button with an optional command override, shared by the overview and the
// job page. The API checks the override (docs/commands.md); its message is shown as is.
import { post, currentSession } from '../api.js';
import { h, enc } from '../dom.js';

export function triggerControl(job) {
  const wrap = h('div', { class: 'trigger' });
  const session = currentSession();
  const open = h('button', { type: 'button', class: 'primary', test: 'trigger-open', 'aria-expanded': 'false' }, 'Trigger…');
  if (session && session.scope === 'read') {
    open.disabled = true;
    open.title = 'This session has the read scope: it cannot trigger runs';
  }
  const id = `override-${job.id}`;
  const input = h('input', { id, type: 'text', name: 'command_override', placeholder: job.command, test: 'trigger-override', autocomplete: 'off', spellcheck: 'false' });
  const message = h('p', { class: 'error', role: 'alert', test: 'trigger-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', test: 'trigger-submit' }, 'Trigger run');
  const cancel = h('button', { type: 'button', class: 'quiet' }, 'Close');
  const form = h('form', { class: 'trigger-form', hidden: true },
    h('label', { for: id }, 'Command override ', h('span', { class: 'muted' }, '(optional; empty runs the job’s command)')),
    h('div', { class: 'row' }, input, submit, cancel),
    message);
  const toggle = (show) => {
    form.hidden = !show;
    open.setAttribute('aria-expanded', String(show));
    if (show) input.focus(); else open.focus();
  };
  open.addEventListener('click', () => toggle(form.hidden));
  cancel.addEventListener('click', () => toggle(false));
  form.addEventListener('keydown', (e) => { if (e.key === 'Escape') toggle(false); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.hidden = true;
    submit.disabled = true;
    const override = input.value.trim();
    try {
      const res = await post(`/api/v1/projects/${enc(job.project_id)}/jobs/${enc(job.id)}/trigger`, override ? { command_override: override } : {});
      location.hash = `#/runs/${enc(res.job_run_id)}`;
    } catch (err) {
      message.textContent = err.message;
      message.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  wrap.append(open, form);
  return wrap;
}
