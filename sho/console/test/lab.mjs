// The lab the tests run on (run.sh): its owner, its two consoles, HTTPS to them
// with the lab's CA (host name localhost, address 127.0.0.1), and the factory's
// delivery note. Shared by openapi.test.mjs and browser.test.mjs.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

export const dir = process.env.OM_LAB_DIR;
export const ports = { 'SHO-A': Number(process.env.OM_SHO_A), 'SHO-B': Number(process.env.OM_SHO_B) };
export const owner = 'fleet-1';
export const secret = fs.readFileSync(path.join(dir, 'owner.secret'), 'utf8').trim();
export const ca = fs.readFileSync(path.join(dir, 'pki/tls/ca.pem'));
export const artifacts = process.env.OM_ARTIFACTS;
export const binDir = process.env.OM_BIN_DIR;

let failures = 0;
export function check(ok, what) {
  if (ok) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}`);
  }
  return ok;
}
export function done() {
  console.log(failures ? `${failures} check(s) failed` : 'every check passed');
  process.exit(failures ? 1 : 0);
}

// One request: {status, headers, body (string)}. opts: method, body, type, auth ('basic' | cookie string), csrf.
export function request(op, pathname, opts = {}) {
  const headers = {};
  if (opts.auth === 'basic') headers.authorization = 'Basic ' + Buffer.from(`${opts.user ?? owner}:${opts.secret ?? secret}`).toString('base64');
  else if (opts.auth) headers.cookie = opts.auth;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  if (opts.type) headers['content-type'] = opts.type;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', servername: 'localhost', port: ports[op], path: pathname, method: opts.method ?? 'GET',
      ca, headers,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.setTimeout(60000, () => req.destroy(new Error('timeout')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// The factory's delivery note: header and rows by TRE_id, sho_id replaced by current; with models
// (by TRE_id, '*' for the rest) the optional model column too.
export function note(ids, current, models) {
  const lines = fs.readFileSync(path.join(dir, 'factory/owner/delivery-note.csv'), 'utf8').trim().split('\n');
  const rows = new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')]));
  // the factory's note ends in the model column (docs/factory.md); models replaces its values
  const hasModel = lines[0].endsWith(',model');
  const head = models && !hasModel ? `${lines[0]},model` : lines[0];
  return [head, ...ids.map((id) => {
    const r = [...rows.get(id)];
    r[3] = current[id] ?? current['*'];
    if (models) r[5] = models[id] ?? models['*'];
    return r.join(',');
  })].join('\n') + '\n';
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
