// The owner API as the console uses it (docs/openapi.yaml): the session cookie goes by
// itself (HttpOnly: this script never sees it), the CSRF token rides on every change.
export class ApiError extends Error {
  constructor(status, code, reason) {
    super(`${code}: ${reason}`);
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}

let csrf = '';

async function call(method, path, body, type = 'application/json') {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = type;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
  });
  const isJson = (res.headers.get('Content-Type') || '').startsWith('application/json');
  const data = isJson ? await res.json() : await res.text();
  if (!res.ok && !(res.status === 422 && data.rows)) {
    const e = isJson && data.error ? data.error : { code: `HTTP ${res.status}`, reason: String(data).slice(0, 200) };
    throw new ApiError(res.status, e.code, e.reason);
  }
  return data;
}

function query(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== '' && v !== false && v !== undefined && v !== null) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const api = {
  async signIn(owner, secret) {
    const s = await call('POST', '/api/v1/session', { owner, secret });
    csrf = s.csrf_token;
    return s;
  },
  async session() {
    const s = await call('GET', '/api/v1/session');
    csrf = s.csrf_token;
    return s;
  },
  async signOut() {
    await call('DELETE', '/api/v1/session');
    csrf = '';
  },
  devices: (q) => call('GET', `/api/v1/devices${query(q)}`),
  device: (id) => call('GET', `/api/v1/devices/${encodeURIComponent(id)}`),
  timeline: (buckets) => call('GET', `/api/v1/timeline?buckets=${buckets}`),
  register: (csv, partial) => call('POST', `/api/v1/devices${partial ? '?partial=true' : ''}`, csv, 'text/csv'),
  transferCodes: (devices) => call('POST', '/api/v1/transfer-codes', { devices }),
  startMove: (devices) => call('POST', '/api/v1/moves', { devices }),
  moves: () => call('GET', '/api/v1/moves'),
  move: (id) => call('GET', `/api/v1/moves/${encodeURIComponent(id)}`),
  async downloadReport(f) {
    const res = await fetch(`/api/v1/report${query({ state: f.state, operator: f.operator, model: f.model, prefix: f.prefix, refused: f.refused })}`,
      { credentials: 'same-origin', cache: 'no-store' });
    const blob = await res.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'fleet-report.csv';
    a.click();
    URL.revokeObjectURL(a.href);
  },
};
