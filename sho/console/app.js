// openmcim fleet console (docs/owner.md "Console"): one page, plain DOM, no build.
// Everything from the API is put on the page as text (textContent, never innerHTML):
// a device field or a reason carrying markup shows as the characters it is.
import { api, ApiError } from './api.js';

const STATES = ['registered', 'handover_requested', 'handover_accepted', 'refused', 'provisioned', 'active', 'released'];
const COLORS = { registered: '#9aa5b1', handover_requested: '#e0a526', handover_accepted: '#7a5cc4',
  refused: '#b3261e', provisioned: '#2f80c4', active: '#1e7d3a', released: '#5b6b7a' };
const main = document.getElementById('main');
let session = null;
let timer = null;

// ---- small DOM helpers: text only ------------------------------------------------
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'style') e.style.cssText = v; // CSSOM: the CSP forbids style attributes in markup
    else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
const when = (t) => (t ? new Date(t).toLocaleString() : '');
function status(text, bad = false) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.className = bad ? 'error' : '';
}
function fail(e) {
  if (e instanceof ApiError && e.status === 401 && session) {
    session = null;
    location.hash = '#/signin';
  }
  status(e instanceof ApiError ? `${e.code}: ${e.reason}` : String(e), true);
}
function view(...kids) {
  clearInterval(timer);
  timer = null;
  main.replaceChildren(...kids);
}

// ---- sign in ------------------------------------------------------------------------
function signIn() {
  document.getElementById('nav').hidden = true;
  const owner = el('input', { id: 'owner', name: 'owner', autocomplete: 'username', required: true });
  const secret = el('input', { id: 'secret', name: 'secret', type: 'password', autocomplete: 'current-password', required: true });
  const form = el('form', { class: 'signin', id: 'signin-form' },
    el('h2', {}, 'Sign in'),
    el('label', { for: 'owner' }, 'Owner'), owner,
    el('label', { for: 'secret' }, 'Secret'), secret,
    el('p', {}, el('button', { type: 'submit', id: 'signin' }, 'Sign in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      session = await api.signIn(owner.value, secret.value);
      secret.value = '';
      status('');
      location.hash = '#/fleet';
      route();
    } catch (e) {
      secret.value = '';
      fail(e);
    }
  });
  view(el('section', {}, form));
}

// ---- the fleet ----------------------------------------------------------------------
const filter = { state: '', operator: '', model: '', prefix: '', refused: false };
let pages = [''];

async function fleet(refusals = false) {
  filter.refused = refusals;
  const countsBox = el('div', { class: 'counts', id: 'counts' });
  const tbody = el('tbody', { id: 'devices' });
  const pager = el('div', { class: 'row' });
  const selected = new Set();
  const codesOut = el('div', { id: 'codes' });
  const opInput = el('input', { id: 'filter-operator', placeholder: 'current SHO', value: filter.operator });
  const modelInput = el('input', { id: 'filter-model', placeholder: 'model', value: filter.model });
  const prefixInput = el('input', { id: 'filter-prefix', placeholder: 'TRE_id prefix', value: filter.prefix });
  const chart = el('div', { id: 'chart' });
  const file = el('input', { type: 'file', id: 'note-file', accept: '.csv,text/csv' });
  const partial = el('input', { type: 'checkbox', id: 'note-partial' });
  const report = el('div', { id: 'note-report' });

  async function load(after = '') {
    try {
      const q = { ...filter, after, limit: 100 };
      const page = await api.devices(q);
      countsBox.replaceChildren(...STATES.map((s) => el('button', {
        type: 'button', class: `count${filter.state === s ? ' on' : ''}`, 'data-state': s,
        on: { click: () => { filter.state = filter.state === s ? '' : s; pages = ['']; load(); } },
      }, el('b', {}, page.counts[s]), s.replace('_', ' '))));
      tbody.replaceChildren(...page.devices.map((d) => el('tr', { 'data-tre-id': d.tre_id },
        el('td', {}, el('input', { type: 'checkbox', class: 'pick', checked: selected.has(d.tre_id),
          on: { change: (ev) => (ev.target.checked ? selected.add(d.tre_id) : selected.delete(d.tre_id)) } })),
        el('td', {}, el('a', { href: `#/device/${encodeURIComponent(d.tre_id)}` }, d.tre_id)),
        el('td', { class: `state-${d.state}` }, d.state),
        el('td', { class: 'operator' }, d.current_sho),
        el('td', { class: 'model' }, d.model ?? ''),
        el('td', { class: 'mono' }, d.imsi),
        el('td', { class: 'reason' }, d.reason ?? ''),
        el('td', {}, when(d.updated)))));
      pager.replaceChildren(...[
        el('span', {}, `${page.total} device(s)`),
        pages.length > 1 ? el('button', { type: 'button', on: { click: () => { pages.pop(); load(pages[pages.length - 1]); } } }, 'Previous') : null,
        page.next ? el('button', { type: 'button', id: 'next-page', on: { click: () => { pages.push(page.next); load(page.next); } } }, 'Next') : null,
      ].filter(Boolean));
    } catch (e) { fail(e); }
  }

  async function codes() {
    if (!selected.size) return status('select devices first', true);
    try {
      const res = await api.transferCodes([...selected]);
      const good = res.codes.filter((c) => c.code);
      codesOut.replaceChildren(
        el('h2', {}, `Transfer codes (${good.length})`),
        el('p', {}, 'Give these to the new operator\'s console (Move devices here). They are shown once.'),
        el('textarea', { id: 'codes-text', readonly: true }, good.map((c) => `${c.tre_id},${c.code}`).join('\n')),
        ...res.codes.filter((c) => !c.code).map((c) => el('p', { class: 'error' }, `${c.tre_id}: ${c.error.code} ${c.error.reason}`)));
      status(`${good.length} transfer code(s) issued`);
    } catch (e) { fail(e); }
  }

  async function upload() {
    if (!file.files.length) return status('choose a delivery note first', true);
    try {
      const text = await file.files[0].text();
      const res = await api.register(text, partial.checked);
      report.replaceChildren(
        el('p', { id: 'note-result' }, `${res.result}: ${res.counts.registered} registered, ${res.counts.unchanged} unchanged, ` +
          `${res.counts.refused} refused, ${res.counts.not_registered} not registered`),
        el('table', {}, el('tbody', {}, ...res.rows.filter((r) => r.error).map((r) => el('tr', {},
          el('td', {}, r.tre_id), el('td', {}, r.result), el('td', { class: 'reason' }, `${r.error.code} ${r.error.reason}`))))));
      status('delivery note sent');
      load();
      drawChart(chart);
    } catch (e) { fail(e); }
  }

  view(
    el('section', {},
      el('h2', {}, refusals ? 'Refusals' : 'Fleet'),
      countsBox,
      el('form', { class: 'row', on: { submit: (ev) => { ev.preventDefault(); filter.operator = opInput.value.trim(); filter.model = modelInput.value.trim(); filter.prefix = prefixInput.value.trim(); pages = ['']; load(); } } },
        opInput, modelInput, prefixInput, el('button', { type: 'submit', id: 'apply-filter' }, 'Filter'),
        el('button', { type: 'button', id: 'request-codes', on: { click: codes } }, 'Request transfer codes for the selection'),
        el('a', { href: '#', id: 'report-link', on: { click: (ev) => { ev.preventDefault(); api.downloadReport(filter); } } }, 'Download report (CSV)')),
      el('table', { id: 'fleet' },
        el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'TRE_id'), el('th', {}, 'State'), el('th', {}, 'Current SHO'),
          el('th', {}, 'Model'), el('th', {}, 'IMSI'), el('th', {}, 'Reason'), el('th', {}, 'Updated'))),
        tbody),
      pager,
      codesOut),
    refusals ? null : el('section', {}, el('h2', {}, 'States over time'), chart),
    refusals ? null : el('section', {}, el('h2', {}, 'Register devices (delivery note)'),
      el('div', { class: 'row' }, file, el('label', {}, partial, ' register the good rows even if some are refused'),
        el('button', { type: 'button', id: 'upload-note', on: { click: upload } }, 'Upload')),
      report));
  await load();
  if (!refusals) drawChart(chart);
  timer = setInterval(() => load(pages[pages.length - 1]), 5000);
}

// ---- the chart: an SVG of the states over time ----------------------------------------
async function drawChart(box) {
  try {
    const t = await api.timeline(48);
    const W = 1000, H = 160, max = Math.max(1, ...t.points.map((p) => STATES.reduce((a, s) => a + p.counts[s], 0)));
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'chart');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    for (const s of STATES) {
      const pts = t.points.map((p, i) => `${(i / Math.max(1, t.points.length - 1)) * W},${H - (p.counts[s] / max) * (H - 4) - 2}`);
      const line = document.createElementNS(ns, 'polyline');
      line.setAttribute('points', pts.join(' '));
      line.setAttribute('fill', 'none');
      line.setAttribute('stroke', COLORS[s]);
      line.setAttribute('stroke-width', '2');
      line.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.append(line);
    }
    box.replaceChildren(svg,
      el('div', { class: 'legend' }, ...STATES.map((s) => el('span', {}, el('i', { style: `background:${COLORS[s]}` }), s))),
      el('p', {}, `${when(t.from)} to ${when(t.to)}`));
  } catch (e) { fail(e); }
}

// ---- one device -------------------------------------------------------------------------
async function device(id) {
  try {
    const d = await api.device(id);
    view(el('section', { id: 'device' },
      el('h2', {}, d.tre_id),
      el('table', {}, el('tbody', {},
        ...[['State', d.state], ['IMSI', d.imsi], ['Current SHO', d.current_sho], ['Model', d.model ?? ''], ['Handover request', d.request_id ?? ''],
          ['Reason', d.reason ?? ''], ['Registered', when(d.created)], ['Updated', when(d.updated)]]
          .map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { class: k === 'Reason' ? 'reason' : '' }, v))))),
      el('h2', {}, 'History'),
      el('table', { id: 'history' }, el('tbody', {}, ...d.history.map((e) => el('tr', {},
        el('td', {}, when(e.at)), el('td', { class: `state-${e.event}` }, e.event.replace('_', ' ')),
        el('td', { class: e.event === 'refused' || e.event === 'validation_refused' ? 'reason' : 'mono' }, e.detail ?? '')))))));
  } catch (e) { fail(e); }
}

// ---- moves --------------------------------------------------------------------------------
function moveForm() {
  const text = el('textarea', { id: 'move-text', placeholder: 'TRE_id,transfer code (one a line, as the current operator\'s console gave them)' });
  view(el('section', {},
    el('h2', {}, `Move devices to ${session.operator}`),
    el('p', {}, 'Register the devices here first (their delivery note, with the current SHO as sho_id), then paste their transfer codes.'),
    text,
    el('p', {}, el('button', { type: 'button', id: 'start-move', on: { click: async () => {
      const devices = text.value.split('\n').map((l) => l.trim()).filter(Boolean)
        .map((l) => { const [tre_id, code] = l.split(',').map((x) => x.trim()); return { tre_id, code: code ?? '' }; });
      if (!devices.length) return status('nothing to move', true);
      try {
        const m = await api.startMove(devices);
        text.value = '';
        location.hash = `#/moves/${m.id}`;
      } catch (e) { fail(e); }
    } } }, 'Move'))));
}

async function moves() {
  try {
    const list = (await api.moves()).moves;
    view(el('section', {}, el('h2', {}, 'Moves'), el('table', {}, el('tbody', {}, ...list.map((m) => el('tr', {},
      el('td', {}, el('a', { href: `#/moves/${m.id}` }, when(m.created))),
      el('td', {}, `${m.done}/${m.total}`),
      el('td', {}, `${m.counts.accepted} accepted, ${m.counts.refused} refused, ${m.counts.pending} pending, ${m.counts.error} failed`)))))));
  } catch (e) { fail(e); }
}

async function move(id) {
  const bar = el('div', { class: 'progress' }, el('div', { style: 'width:0%' }));
  const summary = el('p', { id: 'move-summary' });
  const tbody = el('tbody', { id: 'move-items' });
  view(el('section', { id: 'move' }, el('h2', {}, 'Bulk move'), bar, summary, el('table', {}, tbody)));
  async function poll() {
    try {
      const m = await api.move(id);
      bar.firstChild.style.width = `${Math.round((100 * m.done) / m.total)}%`;
      summary.textContent = `${m.done} of ${m.total} done: ${m.counts.accepted} accepted, ${m.counts.refused} refused, ` +
        `${m.counts.pending} pending, ${m.counts.error} failed${m.finished ? ' (finished)' : ''}`;
      tbody.replaceChildren(...m.items.map((it) => el('tr', { 'data-tre-id': it.tre_id },
        el('td', {}, el('a', { href: `#/device/${encodeURIComponent(it.tre_id)}` }, it.tre_id)),
        el('td', { class: `result-${it.result}` }, it.result),
        el('td', { class: 'reason' }, it.error ? `${it.error.code} ${it.error.reason}` : ''))));
      if (m.finished) clearInterval(timer);
    } catch (e) { fail(e); clearInterval(timer); }
  }
  await poll();
  timer = setInterval(poll, 1000);
}

// ---- routing ---------------------------------------------------------------------------------
async function route() {
  if (!session) {
    try { session = await api.session(); } catch { session = null; }
  }
  if (!session) return signIn();
  document.getElementById('nav').hidden = false;
  document.getElementById('operator').textContent = session.operator;
  document.getElementById('who').textContent = session.owner;
  const [, what, arg] = (location.hash || '#/fleet').split('/');
  const id = arg ? decodeURIComponent(arg) : '';
  if (what === 'device' && id) return device(id);
  if (what === 'refusals') return fleet(true);
  if (what === 'move') return moveForm();
  if (what === 'moves' && id) return move(id);
  if (what === 'moves') return moves();
  return fleet(false);
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try { await api.signOut(); } catch (e) { /* signed out either way */ }
  session = null;
  location.hash = '#/signin';
  route();
});
window.addEventListener('hashchange', () => { status(''); route(); });
route();
