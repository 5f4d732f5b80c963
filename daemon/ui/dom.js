// Small DOM helpers: elements built with textContent only (no innerHTML, so nothing the
// API returns can become markup), formatting of times and durations, copy buttons.

export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'test') el.setAttribute('data-test', value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const enc = encodeURIComponent;

export function shortId(id) {
  return id ? String(id).slice(0, 8) : '';
}

const pad = (n) => String(n).padStart(2, '0');

// Local time, to the second: "2026-12-07 14:03:09".
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtAgo(iso, now = Date.now()) {
  if (!iso) return '—';
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const text = a < 60 ? `${a} s` : a < 3600 ? `${Math.floor(a / 60)} min` : a < 86400 ? `${Math.floor(a / 3600)} h` : `${Math.floor(a / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

// A time element showing the local time, with the exact UTC time as its tooltip.
export function timeEl(iso, relative = false) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, relative ? fmtAgo(iso) : fmtTime(iso));
}

export function fmtDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '—';
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${pad(Math.floor(seconds % 60))} s`;
  return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
}

export function fmtBytes(n) {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function badge(status, test = 'status') {
  return h('span', { class: `badge s-${status || 'none'}`, test }, status || 'none');
}

export const TERMINAL = new Set(['success', 'partial', 'failed', 'error', 'cancelled']);
export const PROBLEM_NODE = new Set(['error', 'fail', 'warn', 'interrupted']);

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (an embedded or headless browser): the selection way.
    const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }
}

function copyIcon() {
  return svg('svg', { viewBox: '0 0 16 16', width: 14, height: 14, class: 'copy-mark', 'aria-hidden': 'true' },
    svg('rect', { x: 5.5, y: 5.5, width: 8, height: 8, rx: 1.5 }), svg('path', { d: 'M3 10.5V3.5a1 1 0 0 1 1-1h6.5' }));
}

// The id itself, as a button that copies it: the one click the product page promises.
export function copyButton(value, what, test) {
  const label = h('code', {}, value);
  const btn = h('button', { type: 'button', class: 'copy', test, 'data-value': value, title: `Copy ${what}`, 'aria-label': `Copy ${what} ${value}` }, label, copyIcon());
  btn.addEventListener('click', async () => {
    const ok = await copyText(value);
    btn.dataset.copied = ok ? 'true' : 'false';
    toast(ok ? `Copied ${what} ${value}` : `Could not copy; select the text instead`);
    setTimeout(() => { delete btn.dataset.copied; }, 2000);
  });
  return btn;
}

let toastTimer = 0;
export function toast(text) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('shown'), 2500);
}

export function errorBox(err, test = 'error') {
  return h('p', { class: 'error', role: 'alert', test }, err && err.message ? err.message : String(err));
}

export function emptyRow(cols, text) {
  return h('tr', {}, h('td', { colspan: cols, class: 'muted empty' }, text));
}

// A definition list from [term, value] pairs; null values are left out.
export function facts(pairs, cls = 'facts') {
  const dl = h('dl', { class: cls });
  for (const [term, value] of pairs) {
    if (value == null) continue;
    dl.append(h('dt', {}, term), h('dd', {}, value));
  }
  return dl;
}

// The same pairs as tiles that wrap: a summary that stays short on a wide screen.
export function stats(pairs) {
  const wrap = h('div', { class: 'stats' });
  for (const [term, value] of pairs) {
    if (value == null) continue;
    wrap.append(h('div', { class: 'stat' }, h('span', { class: 'label' }, term), h('span', { class: 'value' }, value)));
  }
  return wrap;
}

// A button that asks again in place instead of a modal confirm().
export function confirmButton(label, confirmLabel, onConfirm, test) {
  const wrap = h('span', { class: 'confirm' });
  const first = h('button', { type: 'button', test }, label);
  const yes = h('button', { type: 'button', class: 'danger', test: test && `${test}-confirm` }, confirmLabel);
  const no = h('button', { type: 'button', class: 'quiet' }, 'Keep');
  const reset = () => { wrap.replaceChildren(first); first.focus(); };
  first.addEventListener('click', () => { wrap.replaceChildren(yes, no); yes.focus(); });
  no.addEventListener('click', reset);
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try { await onConfirm(); } finally { if (wrap.isConnected) reset(); }
  });
  wrap.append(first);
  return wrap;
}

// Browser-side timings the browser test reads (docs/benchmarks.md).
export function recordTiming(page, fields) {
  const entry = { page, ...fields };
  (window.dagctlTimings ||= []).push(entry);
  return entry;
}
