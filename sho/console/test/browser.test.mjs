// The console in headless Chromium on a running lab (docs/owner.md "Tests"), as a
// fleet owner uses it: a wrong secret refused; sign in at SHO-A and see the fleet
// provisioned; a refused device's reason; transfer codes for ten devices; at SHO-B
// upload their delivery note (and a row whose SHO_id is markup), move the ten with
// their codes and follow the move; the devices' agents take the bootstrap and the
// ten are active at SHO-B, and released at SHO-A; the model filter and the chart; the
// markup shows as text (no element, no script); another owner sees none of it. A
// screenshot of each page goes to OM_ARTIFACTS.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

import * as lab from './lab.mjs';

const { check } = lab;
const MARKUP = '<img/src=x/onerror=alert(1)>';
fs.mkdirSync(lab.artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.OM_CHROMIUM ?? '/usr/bin/chromium',
  // the lab's certificate names localhost; its services listen on 127.0.0.1 only
  args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'],
});
const dialogs = [];
async function newPage() {
  // the lab's TLS CA is not in Chromium's store: its certificate errors are ignored here (TLS is tested elsewhere)
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => console.log(`     page error: ${e.message}`));
  return page;
}
const url = (op, h = '') => `https://localhost:${lab.ports[op]}/${h}`;
async function shot(page, name) {
  await page.screenshot({ path: path.join(lab.artifacts, `${name}.png`), fullPage: true });
}
async function signIn(page, op, owner, secret) {
  await page.goto(url(op));
  await page.waitForSelector('#signin-form');
  await page.fill('#owner', owner);
  await page.fill('#secret', secret);
  await page.click('#signin');
}
const statusText = (page) => page.textContent('#status');
async function waitFor(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await fn()) return true; } catch { /* not yet */ }
    if (Date.now() > end) return check(false, `${what} (timed out)`);
    await lab.sleep(500);
  }
}

// another owner, on SHO-B's admin socket (docs/sho.md "Command and admin socket")
execFileSync(path.join(lab.binDir, 'openmcim'), ['sho-admin', '--socket', path.join(lab.dir, 'sho-b-sho', 'admin.sock'), 'owner', 'add', 'fleet-2'],
  { input: 'another owner secret\n' });

try {
  // ---- SHO-A: a wrong secret, then the owner -------------------------------------
  const a = await newPage();
  await signIn(a, 'SHO-A', lab.owner, 'not-the-secret');
  await waitFor('the wrong secret is refused', async () => /OM_ESHO_OWNER_AUTH/.test(await statusText(a)));
  check(await a.isVisible('#signin-form'), 'a wrong secret: still on the sign-in page, with OM_ESHO_OWNER_AUTH');
  await shot(a, '01-sign-in-refused');
  await signIn(a, 'SHO-A', lab.owner, lab.secret);
  await a.waitForSelector('#devices tr');
  const cookies = await a.context().cookies();
  const sc = cookies.find((c) => c.name === '__Host-session');
  check(sc && sc.httpOnly && sc.secure && sc.sameSite === 'Strict', 'the session cookie is HttpOnly, Secure, SameSite=Strict');
  check(await a.evaluate(() => document.cookie) === '', 'the page\'s script cannot read the session cookie');
  const active = Number(await a.textContent('.count[data-state="active"] b'));
  check(active >= 15, `SHO-A's fleet shows its devices provisioned: ${active} active`);
  // attached, not visible: a state whose count stays 0 is a flat line, a box of no height,
  // which the browser reports as not visible (the first line is such a state in most runs)
  await a.waitForSelector('#chart svg polyline', { state: 'attached' });
  check(await a.locator('#chart svg polyline').count() === 7, 'the chart of states over time: a line per state');
  await shot(a, '02-fleet-sho-a');

  // ten devices still served by SHO-A: active there and unknown to SHO-B
  const atB = JSON.parse((await lab.request('SHO-B', '/api/v1/devices?limit=1000', { auth: 'basic' })).body).devices.map((d) => d.tre_id);
  const atA = JSON.parse((await lab.request('SHO-A', '/api/v1/devices?state=active&limit=1000', { auth: 'basic' })).body).devices
    .map((d) => d.tre_id).filter((id) => !atB.includes(id));
  const ten = atA.slice(0, 10), spare = atA[10], wrong = atA[11];
  check(ten.length === 10 && spare && wrong, `ten devices to move (and two more): ${ten.join(' ')}`);
  await a.click('#nav-fleet');
  await a.waitForSelector('#devices tr');
  for (const id of ten) await a.check(`#devices tr[data-tre-id="${id}"] input.pick`);
  await a.click('#request-codes');
  await a.waitForSelector('#codes-text');
  const codes = (await a.inputValue('#codes-text')).trim().split('\n');
  check(codes.length === 10 && codes.every((l) => /^[^,]+,[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(l)), 'ten transfer codes from SHO-A\'s console');
  await shot(a, '05-transfer-codes');

  // ---- SHO-B: the delivery note, the move -----------------------------------------
  const b = await newPage();
  await signIn(b, 'SHO-B', lab.owner, lab.secret);
  await b.waitForSelector('#note-file');
  const noteFile = path.join(lab.artifacts, 'move-note.csv');
  fs.writeFileSync(noteFile, lab.note([...ten, spare, wrong], { '*': 'SHO-A', [spare]: MARKUP },
    { '*': 'M2ME-T', [spare]: 'M2ME-U', [wrong]: 'M2ME-U' }), { mode: 0o600 });
  await b.setInputFiles('#note-file', noteFile);
  await b.click('#upload-note');
  await waitFor('the note is registered', async () => /12 registered/.test(await b.textContent('#note-result')));
  fs.rmSync(noteFile); // it holds the owner claims
  await shot(b, '06-note-uploaded-sho-b');
  // the model filter: the ten, by the note's model column
  await b.fill('#filter-model', 'M2ME-T');
  await b.click('#apply-filter');
  await waitFor('the model filter', async () => {
    const ids = await b.$$eval('#devices tr', (rs) => rs.map((r) => r.dataset.treId));
    return ids.length === 10 && ten.every((id) => ids.includes(id));
  });
  const models = await b.locator('#devices tr .model').allTextContents();
  check(models.length === 10 && models.every((m) => m === 'M2ME-T'), `the model filter shows the ten: ${models.join(' ')}`);
  await shot(b, '06b-model-filter');
  await b.fill('#filter-model', '');
  await b.click('#apply-filter');

  await b.click('#nav-move');
  // the spare's SHO_id names no peer; the last device's code is not one SHO-A issued
  await b.fill('#move-text', [...codes, `${spare},0000-0000-0000-0000`, `${wrong},0000-0000-0000-0000`].join('\n'));
  await shot(b, '07-move-form');
  await b.click('#start-move');
  await b.waitForSelector('#move-summary');
  await waitFor('the move finishes', async () => /\(finished\)/.test(await b.textContent('#move-summary')));
  const summary = await b.textContent('#move-summary');
  check(/10 accepted, 1 refused, 0 pending, 1 failed/.test(summary), `the move: ${summary}`);
  check(await b.getAttribute('.progress > div', 'style') === 'width: 100%;', 'the progress bar is full');
  const wrongWhy = await b.textContent(`#move-items tr[data-tre-id="${wrong}"] .reason`);
  check(/OM_EDRF_CODE/.test(wrongWhy), `a wrong code: refused by SHO-A's DRF with its reason: ${wrongWhy}`);
  const spareWhy = await b.textContent(`#move-items tr[data-tre-id="${spare}"] .reason`);
  check(spareWhy.includes(`OM_ESHO_PEER no [peer.${MARKUP}]`), `the device whose SHO_id is markup: its reason shows as text: ${spareWhy}`);
  await shot(b, '08-move-progress');

  // a refused device and its reason
  await b.click('#nav-refusals');
  await b.waitForSelector(`#devices tr[data-tre-id="${wrong}"]`);
  const why = await b.textContent(`#devices tr[data-tre-id="${wrong}"] .reason`);
  // the lab's fallback devices are there too: SHO-B shows each as fell back (issue 20)
  const others = await b.locator(`#devices tr:not([data-tre-id="${wrong}"]) .reason`).allTextContents();
  check(/OM_EDRF_CODE/.test(why) && others.every((t) => /^(fell back|PVA: )/.test(t)),
    `Refusals: the refused device with its reason: ${why}; the others fell back or the PVA refused them: ${others.join(' | ')}`);
  await shot(b, '03-refusals');
  await b.click(`#devices tr[data-tre-id="${wrong}"] a`);
  await b.waitForSelector('#history tr');
  const hist = await b.$$eval('#history tr', (rs) => rs.map((r) => r.textContent));
  check(hist.some((h) => /refused.*OM_EDRF_CODE/.test(h)), 'its page: the history has the refusal and the DRF\'s reason');
  await shot(b, '04-device-refused');

  // ---- the devices take the bootstrap (their agents, as in the field) ---------------
  const vno = fs.readFileSync(path.join(lab.dir, 'vno.conf'), 'utf8').match(/^radio_listen = (.*)$/m)[1];
  const runs = ten.map((id) => new Promise((resolve) => {
    const conf = path.join(lab.dir, `agent-${id}.conf`);
    fs.writeFileSync(conf, `[agent]\ntre_dir = ${path.join(lab.dir, 'devices', id)}\nvno = ${vno}\n` +
      `dm_ca = ${path.join(lab.dir, 'pki/tls/ca.pem')}\nwait_push = 60000\nfallback = 30\nlog_level = notice\n`, { mode: 0o600 });
    const p = spawn(path.join(lab.binDir, 'openmcim-agent'), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ id, code, err }));
  }));
  const results = await Promise.all(runs);
  for (const r of results.filter((x) => x.code !== 0)) console.log(`     agent ${r.id} exit ${r.code}: ${r.err.slice(-400)}`);
  check(results.every((r) => r.code === 0), 'the ten devices\' agents took the bootstrap and rested');

  await b.click('#nav-fleet');
  await b.waitForSelector('#devices tr');
  await b.click('.count[data-state="active"]');
  await waitFor('the ten are active at SHO-B', async () => {
    const ids = await b.$$eval('#devices tr', (rs) => rs.map((r) => r.dataset.treId));
    return ten.every((id) => ids.includes(id));
  }, 90000);
  check(Number(await b.textContent('.count[data-state="active"] b')) >= 10, 'SHO-B\'s console counts them active');
  await shot(b, '09-active-at-sho-b');

  // ---- the old operator: the ten released, at SHO-B ---------------------------------------
  // SHO-B's DPF reports each device's outcome to SHO-A's DRF; SHO-A's registration service reads the departures
  await a.goto(url('SHO-A', '#/fleet'));
  await a.reload(); // a fresh page: the codes shown once are gone from it
  await a.waitForSelector('.count[data-state="released"]');
  await a.click('.count[data-state="released"]');
  await waitFor('the ten are released at SHO-A', async () => {
    const rows = await a.$$eval('#devices tr', (rs) => rs.map((r) => [r.dataset.treId, r.children[2].textContent]));
    return rows.every(([, st]) => st === 'released') && ten.every((id) => rows.some(([r]) => r === id));
  }, 180000); // each device's outcome reaches SHO-A's DRF from SHO-B's DPF, then SHO-A asks every 2 s
  const ops = await a.$$eval('#devices tr', (rs) => rs.map((r) => r.querySelector('.operator').textContent));
  check(Number(await a.textContent('.count[data-state="released"] b')) >= 10 && ops.every((o) => o === 'SHO-B'),
    `SHO-A shows the ten released, now at SHO-B: ${ops.join(' ')}`);
  await shot(a, '13-released-at-sho-a');
  await a.click(`#devices tr[data-tre-id="${ten[0]}"] a`);
  await a.waitForSelector('#history tr');
  const ahist = await a.$$eval('#history tr', (rs) => rs.map((r) => r.textContent));
  check(ahist.some((h) => /released.*moved to SHO-B/.test(h)), `its history at SHO-A ends released: ${ahist.slice(-1)}`);
  await shot(a, '14-device-released');

  // ---- markup in a device field: text, not markup -----------------------------------
  await b.click('.count[data-state="active"]'); // filter off
  await b.waitForSelector(`#devices tr[data-tre-id="${spare}"]`);
  check(await b.textContent(`#devices tr[data-tre-id="${spare}"] .operator`) === MARKUP, 'the SHO_id shows as the characters it is');
  check(await b.locator('#fleet img').count() === 0, 'no element came from it');
  await b.click(`#devices tr[data-tre-id="${spare}"] a`);
  await b.waitForSelector('#history tr');
  check(await b.locator('#device img').count() === 0, 'nor on the device page');
  await shot(b, '10-markup-as-text');
  check(dialogs.length === 0, `no script ran from a device field (dialogs: ${dialogs.length})`);

  // ---- another owner -------------------------------------------------------------------------
  await b.click('#sign-out');
  await b.waitForSelector('#signin-form');
  await signIn(b, 'SHO-B', 'fleet-2', 'another owner secret');
  await b.waitForSelector('.count[data-state="active"]');
  await waitFor('fleet-2 signed in', async () => (await b.textContent('#who')) === 'fleet-2');
  const rows = await b.locator('#devices tr').count();
  check(rows === 0 && Number(await b.textContent('.count[data-state="active"] b')) === 0, 'another owner sees no device of fleet-1');
  await shot(b, '11-other-owner');
  await b.goto(url('SHO-B', `#/device/${ten[0]}`));
  await waitFor('another owner: a device of fleet-1 is not found', async () => /OM_ESHO_NOT_FOUND/.test(await statusText(b)));
  await shot(b, '12-other-owner-device');
} catch (e) {
  check(false, `the browser run: ${e.stack ?? e}`);
} finally {
  await browser.close();
}
lab.done();
