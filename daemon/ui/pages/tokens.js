// Tokens: list, create (the secret is shown once) and revoke. A local session only: tokens
// are the socket owner's to hand out (docs/security.md).
import { get, post, del, currentSession } from '../api.js';
import { h, enc, timeEl, copyButton, errorBox, emptyRow, confirmButton, toast } from '../dom.js';

export async function render(ctx) {
  const { el, signal } = ctx;
  el.append(h('h1', { tabindex: '-1' }, 'API tokens'));
  const session = currentSession();
  if (!session || session.kind !== 'local') {
    el.append(h('p', { class: 'card', test: 'tokens-local-only' }, 'Tokens are managed only in a session opened with ', h('code', {}, 'dagctl ui'), ' on the daemon’s machine.'));
    return;
  }
  const body = h('tbody');
  const created = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    const { tokens } = await get('/api/v1/tokens', { signal });
    body.replaceChildren(...(tokens.length ? tokens.map((t) => {
      const revoke = t.revoked_at ? h('span', { class: 'muted' }, 'revoked') : confirmButton('Revoke…', `Revoke ${t.name}`, async () => {
        try { await del(`/api/v1/tokens/${enc(t.id)}`); toast(`Revoked ${t.name}`); await load(); } catch (err) { created.replaceChildren(errorBox(err, 'token-error')); }
      }, 'revoke');
      return h('tr', { test: 'token-row', 'data-token-id': t.id, class: t.revoked_at ? 'revoked' : null },
        h('th', { scope: 'row', 'data-label': 'Name' }, t.name),
        h('td', { 'data-label': 'Id' }, h('code', {}, t.id)),
        h('td', { 'data-label': 'Scope' }, t.scope),
        h('td', { 'data-label': 'Created' }, timeEl(t.created_at)),
        h('td', { 'data-label': 'Expires' }, t.expires_at ? timeEl(t.expires_at) : 'never'),
        h('td', { 'data-label': 'Last used' }, timeEl(t.last_used_at, true)),
        h('td', { 'data-label': '' }, revoke));
    }) : [emptyRow(7, 'No tokens.')]));
  };

  const form = h('form', { class: 'filters', test: 'token-form', 'aria-label': 'Create a token' },
    h('div', { class: 'field' }, h('label', { for: 't-name' }, 'Name'), h('input', { id: 't-name', name: 'name', required: true, maxlength: 64, test: 'token-name', autocomplete: 'off' })),
    h('div', { class: 'field' }, h('label', { for: 't-scope' }, 'Scope'), h('select', { id: 't-scope', name: 'scope', test: 'token-scope' },
      h('option', { value: 'read' }, 'read: see projects, jobs and runs'),
      h('option', { value: 'trigger', selected: true }, 'trigger: also trigger, cancel, retry'),
      h('option', { value: 'admin' }, 'admin: also change jobs and webhooks'))),
    h('div', { class: 'field' }, h('label', { for: 't-days' }, 'Expires in days'), h('input', { id: 't-days', name: 'expires_in_days', type: 'number', min: 1, max: 3650, placeholder: 'never', test: 'token-days' })),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'primary', test: 'token-create' }, 'Create token')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const req = { name: String(data.get('name')).trim(), scope: data.get('scope') };
    if (data.get('expires_in_days')) req.expires_in_days = Number(data.get('expires_in_days'));
    try {
      const t = await post('/api/v1/tokens', req);
      created.replaceChildren(h('div', { class: 'card notice', test: 'token-created' },
        h('p', {}, `Token ${t.name} (${t.scope}). Copy it now: it is not shown again.`), copyButton(t.token, 'token', 'copy-token')));
      form.reset();
      await load();
    } catch (err) {
      created.replaceChildren(errorBox(err, 'token-error'));
    }
  });

  el.append(h('section', { class: 'card' }, h('h2', {}, 'Create a token'), form, created),
    h('section', { class: 'card' }, h('h2', {}, 'Tokens'), h('div', { class: 'table-wrap' }, h('table', { class: 'responsive', test: 'tokens-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Id', 'Scope', 'Created', 'Expires', 'Last used', ''].map((t) => h('th', { scope: 'col' }, t)))), body))));
  await load();
}
