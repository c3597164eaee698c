// The owner API against its description (docs/owner.md "Tests"): docs/openapi.yaml
// is valid OpenAPI 3 for an independent validator (@apidevtools/swagger-parser);
// every route openmcim-sho serves (openmcim-sho --routes) is described and every
// described operation is served; and on a running lab each operation, called as an
// owner would, answers with a documented status, media type and a body the
// documented schema accepts (ajv). Refusals are tried too: a wrong secret, no
// CSRF token, a bad filter, another owner's device, an unknown move.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

import * as lab from './lab.mjs';

const { check, request } = lab;
const specFile = path.join(process.env.OM_SOURCE_DIR, 'docs/openapi.yaml');

// 1. valid OpenAPI 3
let api;
try {
  api = await SwaggerParser.validate(specFile);
  check(/^3\./.test(api.openapi), `docs/openapi.yaml is valid OpenAPI ${api.openapi}`);
} catch (e) {
  check(false, `docs/openapi.yaml is valid OpenAPI 3: ${e.message}`);
  lab.done();
}

// 2. the routes, both ways
const served = execFileSync(path.join(lab.binDir, 'openmcim-sho'), ['--routes'], { encoding: 'utf8' })
  .trim().split('\n').map((l) => l.trim());
const described = [];
for (const [p, item] of Object.entries(api.paths))
  for (const m of Object.keys(item))
    if (['get', 'post', 'put', 'delete', 'patch'].includes(m))
      described.push(`${m.toUpperCase()} ${p.replace(/\/\{[^}]+\}$/, '/*')}`);
for (const r of served) check(described.includes(r), `served route ${r} is described`);
for (const d of described) check(served.includes(d), `described operation ${d} is served`);

// the other owners, on each SHO's admin socket (docs/sho.md "Command and admin socket")
execFileSync(path.join(lab.binDir, 'openmcim'), ['sho-admin', '--socket', path.join(lab.dir, 'sho-a-sho', 'admin.sock'), 'owner', 'add', 'fleet-2'],
  { input: 'another owner secret\n' });
execFileSync(path.join(lab.binDir, 'openmcim'), ['sho-admin', '--socket', path.join(lab.dir, 'sho-b-sho', 'admin.sock'), 'owner', 'add', 'fleet-3'],
  { input: 'third owner secret\n' });

// 3. answers as described
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const templates = Object.keys(api.paths).map((p) => ({
  p, re: new RegExp('^' + p.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));
const seen = new Set();

// res against the operation method+path (the path of the request, query dropped)
function conforms(what, method, url, res) {
  const p = url.split('?')[0];
  const t = templates.find((x) => x.re.test(p)) ?? {};
  const op = api.paths[t.p]?.[method.toLowerCase()];
  if (!check(op, `${what}: ${method} ${p} is described`)) return false;
  const r = op.responses[String(res.status)];
  if (!check(r, `${what}: status ${res.status} is documented for ${method} ${t.p}`)) {
    console.log(`     body: ${res.body.slice(0, 300)}`);
    return false;
  }
  seen.add(`${method} ${t.p} ${res.status}`);
  const type = (res.headers['content-type'] ?? '').split(';')[0].trim();
  const media = r.content?.[type];
  if (!check(r.content ? media : !res.body, `${what}: media type '${type}' is documented`)) return false;
  if (!media?.schema || type !== 'application/json') return true;
  const validate = ajv.compile(media.schema);
  let body;
  try {
    body = JSON.parse(res.body);
  } catch {
    return check(false, `${what}: the body is JSON`);
  }
  const ok = validate(body);
  check(ok, `${what}: the body matches the schema`);
  if (!ok) console.log('     ' + ajv.errorsText(validate.errors) + '\n     body: ' + res.body.slice(0, 400));
  return ok;
}

async function call(what, op, method, url, opts = {}, want) {
  const res = await request(op, url, { ...opts, method });
  conforms(what, method, url, res);
  if (want !== undefined) check(res.status === want, `${what}: status ${res.status}, want ${want}`);
  return res;
}

const json = (r) => JSON.parse(r.body);
const basic = { auth: 'basic' };

// sessions
await call('wrong secret', 'SHO-A', 'POST', '/api/v1/session',
  { type: 'application/json', body: { owner: lab.owner, secret: 'not-the-secret' } }, 401);
await call('sign-in not JSON', 'SHO-A', 'POST', '/api/v1/session', { type: 'text/plain', body: 'x' }, 400);
const si = await call('sign in', 'SHO-A', 'POST', '/api/v1/session',
  { type: 'application/json', body: { owner: lab.owner, secret: lab.secret } }, 200);
const setCookie = (si.headers['set-cookie'] ?? [])[0] ?? '';
check(/^__Host-session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict/.test(setCookie),
  `the session cookie is HttpOnly, Secure, SameSite=Strict: ${setCookie.replace(/=[^;]+;/, '=...;')}`);
const cookie = setCookie.split(';')[0];
const csrf = json(si).csrf_token;
await call('session', 'SHO-A', 'GET', '/api/v1/session', { auth: cookie }, 200);
await call('no credentials', 'SHO-A', 'GET', '/api/v1/devices', {}, 401);

// the fleet
const all = await call('devices', 'SHO-A', 'GET', '/api/v1/devices', { auth: cookie }, 200);
const fleet = json(all);
check(fleet.total === 24 && fleet.devices.length === 24, `the lab's 24 devices are listed (${fleet.total})`);
let ids = [], after = '';
for (let i = 0; i < 30; i++) {
  const pg = json(await call('page', 'SHO-A', 'GET', `/api/v1/devices?limit=5${after ? '&after=' + after : ''}`, basic, 200));
  ids.push(...pg.devices.map((d) => d.tre_id));
  if (!pg.next) break;
  after = encodeURIComponent(pg.next);
}
check(ids.length === 24 && new Set(ids).size === 24, `paging by 5 gives each device once (${ids.length})`);
const act = json(await call('filter state', 'SHO-A', 'GET', '/api/v1/devices?state=active&limit=1000', basic, 200));
check(act.devices.every((d) => d.state === 'active') && act.total === act.counts.active, 'state filter');
await call('bad state', 'SHO-A', 'GET', '/api/v1/devices?state=flying', basic, 400);
await call('bad limit', 'SHO-A', 'GET', '/api/v1/devices?limit=0', basic, 400);
const stay = act.devices[0].tre_id, wrong = act.devices[1].tre_id;
const hist = json(await call('history', 'SHO-A', 'GET', `/api/v1/devices/${stay}`, basic, 200)).history.map((e) => e.event);
check(['registered', 'handover_requested', 'handover_accepted', 'provisioned', 'active'].every((e) => hist.includes(e)),
  `an active device's history: ${hist.join(' ')}`);
await call('unknown device', 'SHO-A', 'GET', '/api/v1/devices/TRE-99999999', basic, 404);
await call('timeline', 'SHO-A', 'GET', '/api/v1/timeline?buckets=12', basic, 200);
await call('bad buckets', 'SHO-A', 'GET', '/api/v1/timeline?buckets=x', basic, 400);
const rep = await call('report', 'SHO-A', 'GET', '/api/v1/report', basic, 200);
check(rep.body.split('\n').filter(Boolean).length === 25, 'the report has a line per device and a header');

// another owner sees nothing of fleet-1's
const other = { auth: 'basic', user: 'fleet-2', secret: 'another owner secret' };
const o2 = json(await call('other owner', 'SHO-A', 'GET', '/api/v1/devices', other, 200));
check(o2.total === 0 && o2.devices.length === 0, "another owner's list is empty");
await call("other owner's device", 'SHO-A', 'GET', `/api/v1/devices/${stay}`, other, 404);
const oc = json(await call("codes for another's device", 'SHO-A', 'POST', '/api/v1/transfer-codes',
  { ...other, type: 'application/json', body: { devices: [stay] } }, 200));
check(oc.codes[0].code === null && oc.codes[0].error.code === 'OM_ESHO_NOT_FOUND', 'no code for another owner');

// CSRF: a change with the session but without its token
await call('no CSRF token', 'SHO-A', 'POST', '/api/v1/transfer-codes',
  { auth: cookie, type: 'application/json', body: { devices: [stay] } }, 403);
await call('wrong CSRF token', 'SHO-A', 'POST', '/api/v1/transfer-codes',
  { auth: cookie, csrf: 'x'.repeat(43), type: 'application/json', body: { devices: [stay] } }, 403);

// a move: a code at SHO-A, the note at SHO-B, the move at SHO-B
const codes = json(await call('transfer code', 'SHO-A', 'POST', '/api/v1/transfer-codes',
  { auth: cookie, csrf, type: 'application/json', body: { devices: [stay, 'TRE-99999999'] } }, 200)).codes;
check(codes[0].code && codes[1].error?.code === 'OM_ESHO_NOT_FOUND', 'a code for ours, none for an unknown device');
await call('codes body', 'SHO-A', 'POST', '/api/v1/transfer-codes', { ...basic, type: 'application/json', body: { devices: [] } }, 400);

// Alternative 3 (docs/sho.md "Synthetic credentials"): the story's operators import no manufacturer's verifiers
const ku = '000G-40R4-0M30-E209-185G-R38E-1W';
const syn = json(await call('a Ku where none is accepted', 'SHO-A', 'POST', '/api/v1/synthetic',
  { ...basic, type: 'application/json', body: { tre_id: stay, ku } }, 404));
check(syn.error.code === 'OM_ESHO_SYNTH_UNKNOWN', 'no verifier list: nothing created');
await call('a malformed Ku', 'SHO-A', 'POST', '/api/v1/synthetic', { ...basic, type: 'application/json', body: { tre_id: stay, ku: 'short' } }, 400);
await call('activation without a Ku', 'SHO-A', 'POST', '/api/v1/synthetic/activate', { ...basic, type: 'application/json', body: { tre_id: stay } }, 400);
await call('activation where none is accepted', 'SHO-A', 'POST', '/api/v1/synthetic/activate',
  { ...basic, type: 'application/json', body: { tre_id: stay, ku } }, 404);
await call('note not CSV', 'SHO-B', 'POST', '/api/v1/devices', { ...basic, type: 'application/json', body: {} }, 400);
await call('bad note', 'SHO-B', 'POST', '/api/v1/devices', { ...basic, type: 'text/csv', body: 'tre_id,x\n1\n' }, 400);
const reg = json(await call('register', 'SHO-B', 'POST', '/api/v1/devices',
  { ...basic, type: 'text/csv', body: lab.note([stay, wrong], { '*': 'SHO-A' }, { [stay]: 'M2ME-T', [wrong]: 'M2ME-U' }) }, 200));
check(reg.rows[0].result === 'registered' && reg.rows[0].imsi, 'registered at SHO-B with an IMSI');
// the filters: model (the note's model column), operator (the current SHO)
const byModel = json(await call('filter model', 'SHO-B', 'GET', '/api/v1/devices?model=M2ME-T', basic, 200));
check(byModel.total === 1 && byModel.devices[0].tre_id === stay && byModel.devices[0].model === 'M2ME-T',
  `model filter: ${byModel.devices.map((d) => `${d.tre_id}/${d.model}`).join(' ')}`);
const byOp = json(await call('filter operator', 'SHO-B', 'GET', '/api/v1/devices?operator=SHO-A&limit=1000', basic, 200));
check(byOp.devices.some((d) => d.tre_id === wrong) && byOp.devices.every((d) => d.current_sho === 'SHO-A'), 'operator filter');
await call('bad model', 'SHO-B', 'GET', `/api/v1/devices?model=${'m'.repeat(64)}`, basic, 400);
await call('bad model column', 'SHO-B', 'POST', '/api/v1/devices',
  { ...basic, type: 'text/csv', body: lab.note([stay], { '*': 'SHO-A' }, { '*': 'a model' }) }, 400);
const mv = await call('move', 'SHO-B', 'POST', '/api/v1/moves',
  { ...basic, type: 'application/json', body: { devices: [{ tre_id: stay, code: codes[0].code }, { tre_id: wrong, code: '0000-0000-0000-0000' }] } }, 202);
const moveId = json(mv).id;
let m;
for (let i = 0; i < 120; i++) {
  m = json(await call('move progress', 'SHO-B', 'GET', `/api/v1/moves/${moveId}`, basic, 200));
  if (m.finished) break;
  await lab.sleep(250);
}
check(m.finished && m.items[0].result === 'accepted', `the move is accepted: ${JSON.stringify(m.items[0])}`);
check(m.items[1].result === 'refused' && m.items[1].error.code === 'OM_EDRF_CODE', `a wrong code is refused by SHO-A's DRF: ${JSON.stringify(m.items[1])}`);
const refused = json(await call('refusals', 'SHO-B', 'GET', '/api/v1/devices?refused=true', basic, 200));
// the lab's fallback devices are refusals too: SHO-B shows each as fell back (issue 20)
const mine = refused.devices.filter((d) => d.tre_id === wrong);
const others = refused.devices.filter((d) => d.tre_id !== wrong);
check(mine.length === 1 && /OM_EDRF_CODE/.test(mine[0].reason) && others.every((d) => /^(fell back|PVA: )/.test(d.reason)),
  `the refused device carries its reason: ${mine[0]?.reason}; the others fell back or the PVA refused them: ${others.map((d) => d.reason).join(' | ')}`);
const one = json(await call('one device', 'SHO-B', 'GET', `/api/v1/devices/${wrong}`, basic, 200));
check(one.history.some((e) => e.event === 'refused' && /OM_EDRF_CODE/.test(e.detail)), 'its history has the refusal with its reason');
await call('moves', 'SHO-B', 'GET', '/api/v1/moves', basic, 200);
await call('unknown move', 'SHO-B', 'GET', `/api/v1/moves/${'0'.repeat(32)}`, basic, 404);
await call("another owner's move", 'SHO-B', 'GET', `/api/v1/moves/${moveId}`, { auth: 'basic', user: 'fleet-9', secret: 'x'.repeat(12) }, 401);
await call('move body', 'SHO-B', 'POST', '/api/v1/moves', { ...basic, type: 'application/json', body: { devices: [{ tre_id: stay }] } }, 400);

// the console's files
await call('console', 'SHO-A', 'GET', '/', {}, 200);
await call('console script', 'SHO-A', 'GET', '/console/app.js', {}, 200);
await call('console file outside', 'SHO-A', 'GET', '/console/..%2fsho.c', {}, 404);

// the text API
await call('text status', 'SHO-A', 'GET', `/status/${stay}`, basic, 200);
await call('text status, another owner', 'SHO-A', 'GET', `/status/${stay}`, other, 404);
await call('text register, bad note', 'SHO-B', 'POST', '/register', { ...basic, type: 'text/csv', body: 'x\n' }, 400);
await call('text register partial, bad note', 'SHO-B', 'POST', '/register/partial', { ...basic, type: 'text/csv', body: 'x\n' }, 400);
await call('text handover, wrong secret', 'SHO-B', 'POST', `/handover/${stay}`, { auth: 'basic', secret: 'wrong-secret-x' }, 401);

// sign out
await call('sign out without token', 'SHO-A', 'DELETE', '/api/v1/session', { auth: cookie }, 403);
await call('sign out', 'SHO-A', 'DELETE', '/api/v1/session', { auth: cookie, csrf }, 200);
await call('signed out', 'SHO-A', 'GET', '/api/v1/devices', { auth: cookie }, 401);

// the guard (auth_guard.h): wrong secrets past auth_fail_max in the window get 429 without scrypt,
// the right secret of an owner not verified lately too; a secret verified lately is still served
let limited = null;
for (let i = 0; i < 15 && !limited; i++) {
  const res = await request('SHO-B', '/api/v1/session', { method: 'POST', type: 'application/json', body: { owner: 'fleet-3', secret: `wrong-${i}-secret` } });
  conforms('wrong secrets', 'POST', '/api/v1/session', res);
  if (res.status === 429) limited = res;
  else check(res.status === 401, `wrong secret ${i + 1}: 401`);
}
check(limited && limited.headers['retry-after'] > 0 && json(limited).error.code === 'OM_ESHO_AUTH_LIMIT',
  'repeated wrong secrets: 429 OM_ESHO_AUTH_LIMIT with Retry-After');
await call('limited, the right secret', 'SHO-B', 'POST', '/api/v1/session', { type: 'application/json', body: { owner: 'fleet-3', secret: 'third owner secret' } }, 429);
await call('limited, Basic too', 'SHO-B', 'GET', '/api/v1/devices', { auth: 'basic', user: 'fleet-3', secret: 'third owner secret' }, 429);
await call('an owner at work is still served', 'SHO-B', 'GET', '/api/v1/devices', basic, 200);

// every operation was called at least once
for (const [p, item] of Object.entries(api.paths))
  for (const m of Object.keys(item).filter((k) => ['get', 'post', 'put', 'delete', 'patch'].includes(k)))
    check([...seen].some((s) => s.startsWith(`${m.toUpperCase()} ${p} `)), `${m.toUpperCase()} ${p} was exercised`);
lab.done();
