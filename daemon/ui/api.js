// The REST API from the browser: same origin, the session cookie, and the CSRF token on
// every request that changes something (docs/security.md, Web UI).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let session = null;

export function currentSession() {
  return session;
}

export async function loadSession() {
  const res = await fetch('/api/v1/ui/session', { headers: { Accept: 'application/json' } });
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, 'unauthorized', 'not logged in');
  }
  if (!res.ok) throw await errorOf(res);
  session = await res.json();
  return session;
}

function toLogin() {
  location.assign('/login');
}

async function errorOf(res) {
  let code = 'http_error';
  let message = `HTTP ${res.status}`;
  try {
    const body = await res.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(res.status, code, message);
}

export async function request(method, path, body, { signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = session ? session.csrf_token : '';
  const init = { method, headers, signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, 'unauthorized', 'the session ended; log in again');
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

export async function logout() {
  await fetch('/logout', { method: 'POST', headers: { 'X-CSRF-Token': session ? session.csrf_token : '' } });
  toLogin();
}
