// The Troupe console. Plain JavaScript, no framework, nothing fetched but the node's public API
// (DESIGN.md §4). The API key stays in this tab's sessionStorage and goes only into the
// Authorization header; it is never written to the page or the log.
'use strict';

const BASE = location.pathname.replace(/\/console\/?$/, '');
const KEY_ITEM = 'troupe.console.apiKey';
const LIST_ITEM = 'troupe.console.intents';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
const STREAMS_AT_ONCE = 4; // a browser opens about six HTTP/1.1 connections per host
const HEALTH_EVERY_MS = 5000;
const APPROVALS_EVERY_MS = 5000;

const $ = id => document.getElementById(id);

// --- small helpers ---

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function apiKey() {
  return sessionStorage.getItem(KEY_ITEM) || '';
}

function headers(extra) {
  const h = Object.assign({ 'Accept': 'application/json' }, extra || {});
  const key = apiKey();
  if (key) h['Authorization'] = 'Bearer ' + key;
  return h;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * A JSON call to the node; a non-2xx answer becomes an ApiError with the contract's code. With
 * {@code quiet}, a 401 or 403 is left to the caller instead of the banner.
 */
async function api(path, options) {
  const o = options || {};
  const res = await fetch(BASE + path, { method: o.method || 'GET', headers: headers(o.headers), body: o.body,
    signal: o.signal, cache: 'no-store' });
  const body = await res.json().catch(() => null);
  if (!res.ok && !o.acceptAnyStatus) {
    const err = body && body.error ? body.error : { code: 'http_' + res.status, message: res.statusText };
    if (res.status === 401 && !o.quiet) showBanner('This node needs an API key: paste one at the top right. (' + err.message + ')');
    if (res.status === 403 && !o.quiet) showBanner('The API key lacks a scope for this: ' + err.message);
    throw new ApiError(res.status, err.code, err.message);
  }
  return { status: res.status, body };
}

function showBanner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = !text;
}

function fmtMs(ms) {
  if (ms === null || ms === undefined || isNaN(ms)) return '';
  if (ms < 1) return ms.toFixed(2) + ' ms';
  if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + ' ms';
  return (ms / 1000).toFixed(2) + ' s';
}

function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleTimeString([], { hour12: false });
}

function statusOfEvent(type, current) {
  if (type === 'intent.accepted') return current || 'accepted';
  if (type.startsWith('intent.') && TERMINAL.has(type.slice(7))) return type.slice(7);
  if (type === 'approval.requested') return 'awaiting_approval';
  if (type === 'intent.classified' || type.startsWith('plan.') || type.startsWith('model.')
      || type.startsWith('tool.') || type.startsWith('guardrail.') || type === 'approval.decided') return 'running';
  return current;
}

// --- the list of intents: the ones submitted or opened here, kept in this tab ---

const intents = new Map(); // id -> { id, sessionId, status, text, createdAt, finishedAt }

function loadList() {
  try {
    (JSON.parse(sessionStorage.getItem(LIST_ITEM) || '[]') || []).forEach(i => {
      if (i && typeof i.id === 'string') intents.set(i.id, i);
    });
  } catch (e) { /* a damaged list starts empty */ }
}

function saveList() {
  sessionStorage.setItem(LIST_ITEM, JSON.stringify([...intents.values()].slice(-200)));
}

function remember(resource) {
  const known = intents.get(resource.id) || {};
  const merged = Object.assign(known, {
    id: resource.id,
    sessionId: resource.sessionId || known.sessionId,
    status: resource.status || known.status,
    text: resource.text !== undefined ? resource.text : known.text,
    createdAt: resource.createdAt || known.createdAt,
    finishedAt: resource.finishedAt || known.finishedAt,
  });
  intents.set(resource.id, merged);
  saveList();
  renderList();
  if (!TERMINAL.has(merged.status)) follow(merged.id);
  return merged;
}

function renderList() {
  const status = $('filter-status').value;
  const sessionSelect = $('filter-session');
  const session = sessionSelect.value;
  const sessions = [...new Set([...intents.values()].map(i => i.sessionId).filter(Boolean))].sort();
  const options = [...sessionSelect.options].slice(1).map(o => o.value);
  if (options.join('\n') !== sessions.join('\n')) {
    while (sessionSelect.options.length > 1) sessionSelect.remove(1);
    sessions.forEach(s => sessionSelect.add(new Option(s, s)));
    sessionSelect.value = sessions.includes(session) ? session : '';
  }
  const list = $('intent-list');
  list.replaceChildren();
  const shown = [...intents.values()].reverse()
    .filter(i => (!status || i.status === status) && (!sessionSelect.value || i.sessionId === sessionSelect.value));
  shown.forEach(i => {
    const li = el('li');
    li.dataset.intentId = i.id;
    if (current && current.id === i.id) li.className = 'current';
    const line1 = el('div', 'line1');
    line1.append(el('span', 'status ' + (i.status || ''), i.status || '?'), el('span', 'id', i.id));
    line1.append(el('span', 'muted small', fmtTime(i.createdAt)));
    li.append(line1, el('div', 'text', i.text || ''));
    li.addEventListener('click', () => { location.hash = '#/intents/' + encodeURIComponent(i.id); });
    list.append(li);
  });
  $('intent-count').textContent = shown.length === intents.size ? '(' + intents.size + ')'
    : '(' + shown.length + ' of ' + intents.size + ')';
}

// --- live updates: each intent that still runs is followed over its event stream ---

const streams = new Map(); // id -> { lastEventId, controller }
const waiting = [];        // ids waiting for a free stream

function follow(id) {
  if (streams.has(id) || waiting.includes(id)) return;
  if (streams.size >= STREAMS_AT_ONCE) { waiting.push(id); return; }
  const s = { lastEventId: null, controller: new AbortController(), failures: 0 };
  streams.set(id, s);
  stream(id, s).finally(() => {
    streams.delete(id);
    if (waiting.length) follow(waiting.shift());
  });
}

/** Reads GET /v1/intents/{id}/events with fetch (EventSource cannot send the API key). */
async function stream(id, s) {
  while (s.failures < 5) {
    try {
      const h = { 'Accept': 'text/event-stream' };
      if (s.lastEventId) h['Last-Event-ID'] = s.lastEventId;
      const res = await fetch(BASE + '/v1/intents/' + encodeURIComponent(id) + '/events',
        { headers: headers(h), signal: s.controller.signal, cache: 'no-store' });
      if (!res.ok) {
        if (res.status === 401) showBanner('This node needs an API key: paste one at the top right.');
        break;
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          onFrame(id, s, buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      // The stream closes after the terminal event.
      await refreshIntent(id);
      return;
    } catch (e) {
      if (s.controller.signal.aborted) return;
      s.failures++;
      await new Promise(r => setTimeout(r, 500 * s.failures));
    }
  }
  await refreshIntent(id).catch(() => {});
}

function onFrame(id, s, frame) {
  let type = 'message';
  let data = '';
  frame.split('\n').forEach(line => {
    if (line.startsWith(':')) return; // keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') s.lastEventId = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data += (data ? '\n' : '') + value;
  });
  if (!data) return;
  let event;
  try { event = JSON.parse(data); } catch (e) { return; }
  const known = intents.get(id);
  if (known) {
    const status = statusOfEvent(type, known.status);
    if (status !== known.status) {
      known.status = status;
      saveList();
      renderList();
    }
  }
  if (type === 'approval.requested' || type === 'approval.decided') loadApprovalsSoon();
  if (current && current.id === id && event) scheduleViewRefresh();
}

async function refreshIntent(id) {
  const { body } = await api('/v1/intents/' + encodeURIComponent(id));
  remember(body);
  if (current && current.id === id) scheduleViewRefresh();
  return body;
}

// --- one intent: its facts and its trace as a timeline ---

let current = null; // { id, resource, trace, selected, zoom }
let refreshTimer = null;

function scheduleViewRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; loadView(); }, 150);
}

function openIntent(id) {
  if (!current || current.id !== id) {
    current = { id, resource: null, trace: null, selected: null, zoom: null };
    $('span-detail').hidden = true;
    $('timeline').replaceChildren();
  }
  $('intent-view').hidden = false;
  $('intent-empty').hidden = true;
  loadView();
}

function closeIntent() {
  current = null;
  $('intent-view').hidden = true;
  $('intent-empty').hidden = false;
  renderList();
}

async function loadView() {
  const view = current;
  if (!view) return;
  try {
    const [resource, trace] = await Promise.all([
      api('/v1/intents/' + encodeURIComponent(view.id)),
      api('/v1/intents/' + encodeURIComponent(view.id) + '/trace')]);
    if (current !== view) return;
    view.resource = resource.body;
    view.trace = trace.body;
    remember(view.resource);
    renderIntent(view);
    // Not followed yet (every stream is busy): look again shortly.
    if (!TERMINAL.has(view.resource.status) && !streams.has(view.id)) setTimeout(scheduleViewRefresh, 1000);
  } catch (e) {
    if (current !== view) return;
    if (e.status === 404 && intents.has(view.id) && !intents.get(view.id).status) {
      intents.delete(view.id); // opened by hand, and not there
      saveList();
      renderList();
    }
    if (view.resource) { // keep what is drawn; say why it is not fresh
      if (e.status !== 401) showBanner('Could not refresh the intent: ' + e.message);
      return;
    }
    $('intent-title').textContent = view.id;
    $('intent-status').textContent = '';
    $('intent-status').className = 'status';
    $('intent-facts').replaceChildren();
    $('intent-outcome').textContent = '';
    $('intent-cancel').hidden = true;
    $('intent-text').textContent = e.status === 404 ? 'No such intent on this node (or not visible with this key).'
      : 'Could not read the intent: ' + e.message;
    $('timeline').replaceChildren();
    $('span-detail').hidden = true;
  }
}

function renderIntent(view) {
  const r = view.resource;
  $('intent-title').textContent = r.id;
  const badge = $('intent-status');
  badge.className = 'status ' + r.status;
  badge.textContent = r.status;
  $('intent-cancel').hidden = TERMINAL.has(r.status);
  $('intent-text').textContent = r.text || '';
  const facts = $('intent-facts');
  facts.replaceChildren();
  const fact = (k, v) => { if (v !== undefined && v !== null && v !== '') facts.append(el('dt', null, k), el('dd', null, v)); };
  fact('session', r.sessionId);
  fact('created', r.createdAt);
  fact('finished', r.finishedAt);
  fact('trace id', r.traceId);
  if (r.usage) {
    fact('tokens', r.usage.inputTokens + ' in, ' + r.usage.outputTokens + ' out');
    fact('calls', r.usage.modelCalls + ' model, ' + r.usage.toolCalls + ' tool');
  }
  const outcome = $('intent-outcome');
  const o = r.outcome || {};
  outcome.className = 'outcome' + (o.error ? ' error' : '');
  outcome.textContent = o.error ? 'Error: ' + o.error + (o.nextAction ? ' (next: ' + o.nextAction + ')' : '')
    : (o.answer || '') + (o.answer && o.nextAction && o.nextAction !== 'none' ? '\nNext: ' + o.nextAction : '');
  renderTimeline(view);
  renderList();
  renderApprovals();
}

/** Spans in tree order (parents before children, siblings by start), each with its depth. */
function spanTree(spans) {
  const byId = new Map(spans.map(s => [s.spanId, s]));
  const children = new Map();
  const roots = [];
  spans.forEach(s => {
    if (s.parentSpanId && byId.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      if (!children.has(s.parentSpanId)) children.set(s.parentSpanId, []);
      children.get(s.parentSpanId).push(s);
    } else {
      roots.push(s);
    }
  });
  const byStart = (a, b) => (a.startTimeUnixNano - b.startTimeUnixNano) || (seqOf(a) - seqOf(b));
  const out = [];
  const walk = (s, depth) => {
    out.push({ span: s, depth });
    (children.get(s.spanId) || []).sort(byStart).forEach(c => walk(c, depth + 1));
  };
  roots.sort(byStart).forEach(r => walk(r, 0));
  return out;
}

function seqOf(span) {
  const a = span.attributes || {};
  return a['troupe.step.seq'] === undefined ? -1 : a['troupe.step.seq'];
}

function kindOf(span) {
  const a = span.attributes || {};
  const kind = a['troupe.step.kind'] || (span.parentSpanId ? span.name.split(' ')[0] : 'intent');
  // A wait for a person, if the trace has a span for it, is drawn as its own kind.
  return /^approval/.test(kind) || a['troupe.approval.id'] !== undefined ? 'approval' : kind;
}

function renderTimeline(view) {
  const spans = (view.trace && view.trace.spans) || [];
  const box = $('timeline');
  box.replaceChildren();
  if (!spans.length) return;
  // Nanosecond epochs lose a few hundred ns as JS numbers: fine at the scale drawn here.
  const now = Date.now() * 1e6;
  const origin = Math.min(...spans.map(s => s.startTimeUnixNano));
  const endOf = s => s.endTimeUnixNano || now;
  // The window drawn: the whole intent, or the span double-clicked (with a margin).
  const t0 = view.zoom ? view.zoom.from : origin;
  const t1 = view.zoom ? view.zoom.to : Math.max(origin + 1e6, ...spans.map(endOf));
  const width = t1 - t0;
  const pct = t => ((t - t0) / width) * 100;
  const clip = p => Math.min(100, Math.max(0, p));

  // Siblings whose times overlap ran at once: each gets its own row, so the overlap shows.
  const rows = spanTree(spans);
  const concurrent = new Set();
  rows.forEach(a => rows.forEach(b => {
    if (a !== b && a.span.parentSpanId === b.span.parentSpanId && a.span.parentSpanId
        && kindOf(a.span) === kindOf(b.span) && a.span.startTimeUnixNano < endOf(b.span)
        && b.span.startTimeUnixNano < endOf(a.span)) {
      concurrent.add(a.span.spanId);
    }
  }));

  const axis = el('div', 'tl-row axis');
  axis.append(el('div', 'tl-label', 'span'));
  const axisTrack = el('div', 'tl-track');
  const step = niceStep(width / 1e6 / 5);
  const firstTick = Math.ceil((t0 - origin) / 1e6 / step) * step;
  for (let ms = firstTick; pct(origin + ms * 1e6) < 95; ms += step) {
    const tick = el('div', 'tl-tick', ms === 0 ? '0' : ms.toFixed(Math.max(0, -Math.floor(Math.log10(step)))) + ' ms');
    tick.style.left = pct(origin + ms * 1e6) + '%';
    axisTrack.append(tick);
  }
  axis.append(axisTrack);
  box.append(axis);

  rows.forEach(({ span, depth }) => {
    const kind = kindOf(span);
    const row = el('div', 'tl-row');
    if (concurrent.has(span.spanId)) row.classList.add('concurrent');
    if (view.selected === span.spanId) row.classList.add('selected');
    const label = el('div', 'tl-label');
    label.style.paddingLeft = (6 + depth * 14) + 'px';
    label.append(document.createTextNode(span.name));
    const running = !span.endTimeUnixNano;
    // The trace has no span for the wait itself: the intent's own bar says that it waits.
    const awaiting = running && !span.parentSpanId && view.resource && view.resource.status === 'awaiting_approval';
    label.append(el('span', 'dur', awaiting ? 'awaiting approval' : running ? 'running'
      : fmtMs((span.endTimeUnixNano - span.startTimeUnixNano) / 1e6)));
    label.title = span.name;
    const track = el('div', 'tl-track');
    const bar = el('div', 'bar k-' + kind);
    const code = span.status && span.status.code;
    if (running) bar.classList.add('running');
    if (awaiting) bar.classList.add('awaiting');
    if (code === 'STATUS_CODE_ERROR') bar.classList.add('error');
    if (view.selected === span.spanId) bar.classList.add('selected');
    const left = clip(pct(span.startTimeUnixNano));
    bar.style.left = left + '%';
    bar.style.width = Math.max(0, clip(pct(endOf(span))) - left) + '%';
    if (endOf(span) < t0 || span.startTimeUnixNano > t1) bar.hidden = true;
    bar.dataset.spanId = span.spanId;
    bar.dataset.kind = kind;
    bar.dataset.start = String(span.startTimeUnixNano - origin);
    bar.dataset.end = String(endOf(span) - origin);
    bar.title = span.name + ' · ' + (running ? 'running' : fmtMs((span.endTimeUnixNano - span.startTimeUnixNano) / 1e6))
      + ' · double-click to zoom';
    bar.addEventListener('click', () => selectSpan(view, span.spanId));
    bar.addEventListener('dblclick', () => zoomTo(view, span.startTimeUnixNano, endOf(span)));
    track.append(bar);
    row.append(label, track);
    box.append(row);
  });

  const note = el('div', 'overlap-note');
  const tools = rows.filter(r => kindOf(r.span) === 'tool' && concurrent.has(r.span.spanId));
  if (tools.length > 1) {
    note.append(el('span', null, tools.length + ' tool calls ran at the same time (marked at the left). '));
  }
  if (view.zoom) {
    const all = el('button', 'link', 'Show the whole intent');
    all.type = 'button';
    all.id = 'zoom-reset';
    all.addEventListener('click', () => { view.zoom = null; renderTimeline(view); });
    note.append(el('span', null, 'Zoomed in. '), all);
  } else {
    note.append(el('span', null, 'Double-click a bar to zoom to it.'));
  }
  box.append(note);
  if (view.selected) renderDetail(view);
}

function zoomTo(view, from, to) {
  const margin = Math.max((to - from) * 0.5, 2e5);
  view.zoom = { from: from - margin, to: to + margin };
  renderTimeline(view);
}

function niceStep(raw) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
  const n = raw / p;
  return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * p;
}

/** Marks the bar in place (a redraw would swallow a double-click's second click). */
function selectSpan(view, spanId) {
  view.selected = spanId;
  $('timeline').querySelectorAll('.bar').forEach(bar => {
    const on = bar.dataset.spanId === spanId;
    bar.classList.toggle('selected', on);
    bar.closest('.tl-row').classList.toggle('selected', on);
  });
  renderDetail(view);
}

/** The clicked span: its step (from the intent resource), its verdict, its attributes. */
function renderDetail(view) {
  const span = ((view.trace && view.trace.spans) || []).find(s => s.spanId === view.selected);
  const box = $('span-detail');
  box.replaceChildren();
  if (!span) { box.hidden = true; return; }
  box.hidden = false;
  const steps = (view.resource && view.resource.steps) || [];
  const step = steps.find(s => s.spanId === span.spanId);
  box.append(el('h3', null, span.name));
  const facts = el('dl', 'facts');
  const fact = (k, v) => { if (v !== undefined && v !== null && v !== '') facts.append(el('dt', null, k), el('dd', null, v)); };
  fact('kind', kindOf(span));
  fact('status', step ? step.status : (span.status && span.status.code));
  fact('started', span.startTime);
  fact('finished', span.endTime);
  fact('duration', span.endTimeUnixNano ? fmtMs((span.endTimeUnixNano - span.startTimeUnixNano) / 1e6) : 'running');
  fact('span id', span.spanId);
  box.append(facts);

  const verdict = verdictOf(span, step, steps);
  if (verdict) {
    const p = el('p');
    p.append(el('span', 'muted', 'Guardrail verdict: '), el('span', 'verdict ' + verdict.verdict, verdict.verdict));
    if (verdict.policy) p.append(el('span', 'muted', ' by ' + verdict.policy));
    if (verdict.reason) p.append(document.createTextNode(' — ' + verdict.reason));
    box.append(p);
  }
  box.append(el('h3', null, 'Step detail'));
  box.append(el('pre', null, JSON.stringify(step ? step.detail : {}, null, 2)));
  box.append(el('h3', null, 'Span attributes'));
  box.append(el('pre', null, JSON.stringify(span.attributes || {}, null, 2)));
}

/** A guardrail step carries its own verdict; a tool step has the one given to its call. */
function verdictOf(span, step, steps) {
  const d = (step && step.detail) || {};
  if (d.verdict) return d;
  if (step && step.kind === 'tool' && d.callId) {
    const g = steps.find(s => s.kind === 'guardrail' && s.detail && s.detail.callId === d.callId && s.detail.verdict);
    if (g) return g.detail;
  }
  return null;
}

// --- health: GET /health/ready, with each provider's circuit breaker ---

async function loadHealth() {
  const pill = $('node-status');
  try {
    const { body } = await api('/health/ready', { acceptAnyStatus: true });
    const status = (body && body.status) || 'unknown';
    pill.className = 'pill ' + status;
    pill.textContent = 'node ' + status.replace('_', ' ');
    renderHealth(body || {});
  } catch (e) {
    pill.className = 'pill down';
    pill.textContent = 'node unreachable';
  }
  $('health-time').textContent = 'at ' + new Date().toLocaleTimeString([], { hour12: false });
}

function renderHealth(body) {
  const box = $('subsystems');
  box.replaceChildren();
  const breakers = $('breakers').tBodies[0];
  breakers.replaceChildren();
  Object.entries(body.subsystems || {}).forEach(([name, s]) => {
    const card = el('div', 'subsystem ' + (s.status || ''));
    card.dataset.subsystem = name;
    card.append(el('div', 'name', name), el('div', null, s.status));
    const more = [];
    if (s.initMillis !== null && s.initMillis !== undefined) more.push('init ' + s.initMillis + ' ms');
    if (s.attempts > 1) more.push(s.attempts + ' attempts');
    if (more.length) card.append(el('div', 'muted small', more.join(', ')));
    if (s.error) card.append(el('div', 'error', s.error));
    box.append(card);
    (s.providers || []).forEach(p => {
      const tr = el('tr');
      tr.append(el('td', null, p.provider), el('td', null, p.model));
      const b = el('td');
      const state = String(p.breaker || 'unknown');
      b.append(el('span', 'breaker ' + state, state.replace('_', ' ')));
      tr.append(b, el('td', null, p.available ? 'yes' : 'no'), el('td', null, p.activeCalls), el('td', null, p.queuedCalls));
      breakers.append(tr);
    });
  });
  if (!breakers.rows.length) {
    const tr = el('tr');
    const td = el('td', 'muted', 'the gateway did not report its providers');
    td.colSpan = 6;
    tr.append(td);
    breakers.append(tr);
  }
}

// --- pending approvals: GET /v1/approvals?status=pending, each decided with
// POST /v1/intents/{id}/approvals; read every 5 s, and at once when a followed intent emits
// approval.requested or approval.decided ---

let pending = [];             // the last pending list read
let approvalsError = '';      // why the list could not be read, if it could not
const decidedHere = new Set(); // intentId/approvalId decided from this tab: never shown again
let approvalsRead = 0;        // an answer older than the last one asked for is dropped
let approvalsTimer = null;
let commentFields = 0;

const approvalKey = a => a.intentId + '/' + a.id;

function loadApprovalsSoon() {
  if (approvalsTimer) return;
  approvalsTimer = setTimeout(() => { approvalsTimer = null; loadApprovals(); }, 150);
}

async function loadApprovals() {
  const read = ++approvalsRead;
  try {
    const { body } = await api('/v1/approvals?status=pending', { quiet: true });
    if (read !== approvalsRead) return;
    pending = body && Array.isArray(body.approvals) ? body.approvals : [];
    approvalsError = '';
  } catch (e) {
    if (read !== approvalsRead) return;
    approvalsError = e.status === 401 ? 'Paste an API key (scope intents.read or approvals.write) to see approvals.'
      : e.status === 403 ? 'This API key cannot list approvals: it needs the intents.read or approvals.write scope.'
      : 'Approvals could not be read: ' + e.message;
  }
  renderApprovals();
}

/** Keyed: items already shown stay as they are, so a comment being typed survives a reload. */
function renderApprovals() {
  const shown = pending.filter(a => !decidedHere.has(approvalKey(a)));
  const keys = new Set(shown.map(approvalKey));
  const list = $('approval-list');
  [...list.children].forEach(li => { if (!keys.has(li.dataset.key)) li.remove(); });
  const have = new Set([...list.children].map(li => li.dataset.key));
  shown.forEach(a => { if (!have.has(approvalKey(a))) list.append(approvalItem(a)); });
  [...list.children].forEach(li => li.classList.toggle('current', !!current && li.dataset.intentId === current.id));
  $('approval-count').textContent = shown.length ? '(' + shown.length + ')' : '';
  const empty = $('approvals-empty');
  empty.textContent = approvalsError || "Nothing waits for a person's approval.";
  empty.classList.toggle('error', !!approvalsError);
  empty.hidden = shown.length > 0 && !approvalsError;
  renderAwaiting();
}

function approvalItem(a) {
  const li = el('li', 'approval');
  li.dataset.key = approvalKey(a);
  li.dataset.intentId = a.intentId;
  li.dataset.approvalId = a.id;
  const head = el('div', 'line1');
  const when = el('time', 'muted small', fmtTime(a.requestedAt));
  when.dateTime = a.requestedAt || '';
  when.title = 'requested at ' + (a.requestedAt || '?');
  head.append(el('strong', 'tool', a.name || a.kind || '?'), el('span', 'muted small', a.id), when);
  const intent = el('div', 'small');
  const link = el('a', 'intent-link', a.intentId);
  link.href = '#/intents/' + encodeURIComponent(a.intentId);
  link.title = "open the intent's timeline";
  intent.append(el('span', 'muted', 'intent '), link);
  li.append(head, intent);
  if (a.reason) li.append(el('div', 'reason', a.reason));
  const args = el('pre', 'arguments', JSON.stringify(a.arguments === undefined ? null : a.arguments, null, 2));
  args.setAttribute('aria-label', 'arguments of ' + (a.name || 'the call'));
  li.append(args);
  const form = el('div', 'decide');
  const id = 'approval-comment-' + (++commentFields);
  const label = el('label', 'small muted', 'Comment (optional)');
  label.htmlFor = id;
  const comment = el('input', 'comment');
  comment.id = id;
  comment.maxLength = 2000;
  comment.autocomplete = 'off';
  const approve = el('button', 'approve', 'Approve');
  const reject = el('button', 'reject', 'Reject');
  [approve, reject].forEach(b => {
    b.type = 'button';
    b.setAttribute('aria-label', b.textContent + ' ' + (a.name || 'the call') + ' for intent ' + a.intentId);
  });
  approve.addEventListener('click', () => decide(a, 'approve', li));
  reject.addEventListener('click', () => decide(a, 'reject', li));
  const buttons = el('div', 'row');
  buttons.append(approve, reject);
  form.append(label, comment, buttons);
  li.append(form);
  return li;
}

async function decide(a, decision, li) {
  const buttons = [...li.querySelectorAll('button')];
  buttons.forEach(b => { b.disabled = true; });
  const what = (a.name || 'the call') + ' (' + a.id + ') for intent ' + a.intentId;
  const body = { approvalId: a.id, decision };
  const comment = li.querySelector('input.comment').value.trim();
  if (comment) body.comment = comment;
  try {
    const { body: intent } = await api('/v1/intents/' + encodeURIComponent(a.intentId) + '/approvals', { method: 'POST',
      body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }, quiet: true });
    decidedHere.add(approvalKey(a));
    showApprovalsMessage((decision === 'approve' ? 'Approved ' : 'Rejected ') + what + '.', 'ok');
    if (intent && intent.id) {
      remember(intent);
      if (current && current.id === intent.id) scheduleViewRefresh();
    }
  } catch (e) {
    if (e.status === 409) decidedHere.add(approvalKey(a));
    showApprovalsMessage(decisionError(e, what), 'error');
    buttons.forEach(b => { b.disabled = false; });
  }
  renderApprovals();
  loadApprovals();
}

function decisionError(e, what) {
  if (e.status === 409) return 'Already decided: ' + what + ' was decided before this (' + e.message + ').';
  if (e.status === 404) return 'Not found: ' + what + ' is unknown to this node, or not visible with this key ('
    + e.message + ').';
  if (e.status === 403) return 'Not allowed: deciding needs an API key with the approvals.write scope (' + e.message + ').';
  if (e.status === 401) return 'This node needs an API key with the approvals.write scope: paste one at the top right.';
  return 'Could not decide ' + what + ': ' + e.message;
}

function showApprovalsMessage(text, kind) {
  const m = $('approvals-message');
  m.textContent = text;
  m.className = 'panel-message ' + (kind || '');
  m.hidden = !text;
}

/** In the intent view: an intent that waits for a person says so, and points to the panel. */
function renderAwaiting() {
  const box = $('intent-awaiting');
  const r = current && current.resource;
  const waits = !!r && r.status === 'awaiting_approval';
  const mine = waits ? pending.filter(a => a.intentId === r.id && !decidedHere.has(approvalKey(a))) : [];
  const calls = mine.length ? ' of ' + mine.map(a => (a.name || '?') + ' (' + a.id + ')').join(', ')
    + '. Approve or reject it under Pending approvals. ' : '. ';
  // Redrawn only when it changes: it is a live region, and its button may have the focus.
  const key = waits ? r.id + calls : '';
  if (box.dataset.shown === key) return;
  box.dataset.shown = key;
  box.replaceChildren();
  box.hidden = !waits;
  if (!waits) return;
  const go = el('button', 'link', 'Go to it');
  go.type = 'button';
  go.addEventListener('click', () => {
    const item = $('approval-list').querySelector('li.current');
    (item || $('approvals')).scrollIntoView({ block: 'nearest' });
    if (item) item.querySelector('input.comment').focus();
  });
  box.append(el('strong', null, "Waiting for a person's approval"), document.createTextNode(calls), go);
}

// --- forms and routing ---

async function submitIntent(e) {
  e.preventDefault();
  const text = $('submit-text').value.trim();
  if (!text) return;
  const body = { text };
  const session = $('submit-session').value.trim();
  if (session) body.sessionId = session;
  const button = $('submit-button');
  button.disabled = true;
  try {
    const { body: accepted } = await api('/v1/intents', { method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' } });
    showBanner('');
    remember(Object.assign({ text }, accepted));
    location.hash = '#/intents/' + encodeURIComponent(accepted.id);
  } catch (err) {
    if (err.status !== 401) showBanner('The intent was not accepted: ' + err.message);
  } finally {
    button.disabled = false;
  }
}

async function cancelIntent() {
  if (!current) return;
  try {
    await api('/v1/intents/' + encodeURIComponent(current.id), { method: 'DELETE' });
  } catch (err) {
    showBanner('Could not cancel: ' + err.message);
  }
  refreshIntent(current.id).catch(() => {});
}

function route() {
  const m = location.hash.match(/^#\/intents\/(.+)$/);
  if (m) {
    const id = decodeURIComponent(m[1]);
    if (!intents.has(id)) {
      intents.set(id, { id });
      renderList();
    }
    openIntent(id);
    refreshIntent(id).catch(() => {});
  } else {
    closeIntent();
  }
}

function showKeyState() {
  $('key-state').textContent = apiKey() ? 'key set for this tab' : 'no key';
}

function start() {
  loadList();
  $('key-form').addEventListener('submit', e => {
    e.preventDefault();
    const key = $('api-key').value.trim();
    if (key) sessionStorage.setItem(KEY_ITEM, key);
    $('api-key').value = '';
    showKeyState();
    showBanner('');
    if (current) loadView();
    loadApprovals();
  });
  $('key-forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_ITEM);
    showKeyState();
  });
  $('submit-form').addEventListener('submit', submitIntent);
  $('open-form').addEventListener('submit', e => {
    e.preventDefault();
    const id = $('open-id').value.trim();
    if (id) location.hash = '#/intents/' + encodeURIComponent(id);
    $('open-id').value = '';
  });
  $('filter-status').addEventListener('change', renderList);
  $('filter-session').addEventListener('change', renderList);
  $('list-clear').addEventListener('click', () => {
    intents.clear();
    if (current) intents.set(current.id, { id: current.id, status: current.resource && current.resource.status });
    saveList();
    renderList();
  });
  $('intent-cancel').addEventListener('click', cancelIntent);
  window.addEventListener('hashchange', route);
  showKeyState();
  renderList();
  // Intents of the list that had not ended when the tab last looked: read them again.
  [...intents.values()].filter(i => !TERMINAL.has(i.status)).forEach(i => follow(i.id));
  route();
  loadHealth();
  setInterval(loadHealth, HEALTH_EVERY_MS);
  loadApprovals();
  setInterval(loadApprovals, APPROVALS_EVERY_MS);
}

start();
