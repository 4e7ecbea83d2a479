// The campaign API over fetch. Every failure, the network's included, rejects with one
// ApiError, so pages have a single shape to show: the API's own code, message and field.

let base = '/api/';

export class ApiError extends Error {
  constructor(status, code, message, field = null, errors = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;   // HTTP status; 0 when no answer came
    this.code = code;
    this.field = field;     // the request field the API blames, or null
    this.errors = errors;   // publish problems: [{node, message}]
  }
}

export function setApiBase(prefix) {
  base = prefix.endsWith('/') ? prefix : prefix + '/';
}

async function send(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json', ...opts.headers };
  let payload;
  if (typeof body === 'string') {
    payload = body;
    headers['Content-Type'] = opts.type || 'text/plain';
  } else if (body !== undefined && body !== null) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    // no-store: a list must show what the store holds now, not what a cache kept
    res = await fetch(base + path, { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', `The API cannot be reached (${e.message}).`);
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

async function errorOf(res) {
  let doc = null;
  try {
    doc = await res.json();
  } catch {
    // not JSON: a proxy's or an auth page; fall back to the status line below
  }
  const e = doc && doc.error;
  if (!e) {
    return new ApiError(res.status, 'http_' + res.status,
      `The server answered ${res.status} ${res.statusText}`.trim() + '.');
  }
  const errors = e.errors || doc.errors;
  return new ApiError(res.status, e.code, e.message, e.field ?? null, Array.isArray(errors) ? errors : []);
}

export async function api(method, path, body, opts) {
  const res = await send(method, path, body, opts);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export async function apiText(path) {
  // export and DOT answers are not JSON; accept whatever the route gives
  const res = await send('GET', path, null, { headers: { Accept: '*/*' } });
  return res.text();
}
