/* The exam player: one item per screen, answers queued on the device and synced with sequence
   numbers, remaining time from the server's clock. Native ES modules, no build step:
   player/storage.js (the device's record), player/sync.js (the answer queue), player/clock.js,
   player/render.js (the screen), player/integrity.js (proctoring events), player/api.js; this
   module wires them and owns the exam's course (start, pause, time up, finish, leaving). */
import { createApi } from './player/api.js';
import { createClock } from './player/clock.js';
import { createIntegrity } from './player/integrity.js';
import { $, bindPrefs, createView, fmt, isAnswered, lock, notice } from './player/render.js';
import { createStorage } from './player/storage.js';
import { createSync } from './player/sync.js';

// While paused or refused on this device the player asks the server every 3 s (a paused candidate
// sees the exam go on at once, and those are few); otherwise every 10 s.
const PAUSED_POLL = 3000;
// At time up a whole room reaches the deadline together, and the server cannot end a session
// before the deadline and its grace (the schedule's, data-grace) but by a proctor's action. So the
// first ask waits for the grace and a random share of AFTER_GRACE, and every later one 10-15 s: at
// a common deadline 5,000 players send about 400 asks a second (every 3 s they sent 1,667, more
// than a 2-core server answers, benchmarks/README.md run g).
const AFTER_GRACE = 15000;
const timeUpPoll = () => 10000 + Math.random() * 5000;
const HANDOVER_MS = 30000; // how old the start page's answer may be for the player to use it

const root = document.getElementById('player');
if (root) start(root.dataset);

function start(D) {
  const T = JSON.parse($('player-text').textContent);
  const CLIENT = D.device;
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const store = createStorage(D.session);
  const meta = store.load('meta', {}); // item_count, sections, clock {deadline, offset}, lastSeq, msgSeen
  const saveMeta = () => store.keep('meta', meta);
  const leaving = () => store.closed;
  const clock = createClock(meta, saveMeta, $('clock'), () => !leaving(), onTimeUp);
  // Every API answer: the clock and the proctor's messages ride on it.
  const answered = (data, started, ended) => {
    clock.sync(data, started, ended);
    if (data && Array.isArray(data.messages)) showProctorMessage(data.messages);
  };
  const api = createApi(D.api, CSRF, answered);
  let view = null;
  const integrity = createIntegrity(store, clock.serverNow, () => view.current);
  const sync = createSync(store, api, CLIENT, {
    canSend: () => !clock.paused,
    lastSeq: () => meta.lastSeq || 0,
    events: integrity,
    status: () => view.status(),
    notice: notice,
    code: handleCode,
    error: T.error,
  });
  view = createView(T, meta, store, sync, {
    record: record,
    fetchOne: fetchOne,
    failed: () => { sync.failed = true; view.status(); },
    locked: () => sync.blocked || clock.paused || clock.timeUp,
  });
  const timers = { poll: 0, next: 0 };

  // The proctor's newest message or warning (it rides on saves and on the state); shown until a newer one.
  function showProctorMessage(list) {
    const last = list[list.length - 1];
    if (!last || !last.text) return;
    const box = $('proctor-msg');
    if (last.id === meta.msgSeen && !box.hidden) return;
    meta.msgSeen = last.id;
    saveMeta();
    box.textContent = fmt(T.from_proctor, { text: last.text });
    box.hidden = false;
  }

  function handleCode(code, message) {
    if (code === 'time_up' || code === 'session_ended') return goResult();
    if (code === 'paused') return setPaused(true);
    if (code === 'other_device') {
      sync.block();
      notice(T.other_device);
      lock(true);
      // Ask the status until the proctor allows this device (poll() then takes the session over).
      clearTimeout(timers.poll);
      timers.poll = setTimeout(poll, PAUSED_POLL);
      return null;
    }
    notice(message || T.error);
    return null;
  }

  function record(position, response, flagged) {
    if (sync.blocked || clock.timeUp || leaving()) return;
    const written = sync.record(position, response, flagged, clock.serverNow());
    view.status();
    view.paintGrid();
    if (meta.adaptive && position === view.current) {
      $('next').disabled = view.current >= view.count() || !isAnswered(sync.answers[view.current]);
    }
    written.then(() => {
      view.status();
      view.paintGrid();
      sync.flush();
    });
  }

  // --- state, items
  async function applyState(state) {
    meta.count = state.item_count;
    meta.sections = state.sections;
    // Adaptive: the server chooses each next item from the answers, so only reached items exist.
    meta.adaptive = state.mode === 'adaptive';
    meta.reached = Math.max(state.reached || 0, meta.adaptive ? view.reached() : 0);
    meta.lastSeq = Math.max(meta.lastSeq || 0, state.last_seq || 0);
    saveMeta();
    await sync.settleAll(state.answers || []);
    if (Array.isArray(state.items)) { // a first start's answer carries every item drawn
      state.items.forEach(storeItem);
      store.keep('items', view.items);
    }
    if (state.status && state.status !== 'in_progress') {
      if (state.result_url) goResult();
      return false;
    }
    if (state.paused) setPaused(true);
    return true;
  }

  // An item may carry the answer the server holds (a resumed session).
  function storeItem(item) {
    view.items[item.position] = item;
    return item.response != null && item.seq ? [item] : [];
  }

  async function fetchAll() {
    const res = await api('GET', '/butir');
    if (!res.ok || !Array.isArray(res.data.items)) throw new Error('items');
    const answered = [].concat(...res.data.items.map(storeItem));
    store.keep('items', view.items);
    await sync.settleAll(answered);
  }

  async function fetchOne(position) {
    const res = await api('GET', '/butir/' + position);
    if (!res.ok) {
      const error = new Error('item');
      error.code = res.data.code;
      error.text = res.data.message;
      throw error;
    }
    await sync.settleAll(storeItem(res.data));
    if (meta.adaptive) {
      meta.reached = Math.max(meta.reached || 0, position);
      saveMeta();
    }
    store.keep('items', view.items);
  }

  // Adaptive: the next item needs the server (it is chosen from the answers). The answer goes
  // first (it stays in the queue on the device until acknowledged), then the item is asked for;
  // offline or on a failure this retries with a plain message and loses nothing.
  async function adaptiveNext() {
    clearTimeout(timers.next);
    const target = view.current + 1;
    if (target > view.count() || !isAnswered(sync.answers[view.current])) return;
    if (view.items[target]) return view.show(target);
    notice(T.next_needs_server);
    const sent = await sync.drain(5000);
    try {
      if (!sent) throw new Error('queue');
      await fetchOne(target);
      notice('');
      sync.failed = false;
      view.status();
      view.show(target);
    } catch (e) {
      if (e.code && e.code !== 'adaptive_answer_first') {
        handleCode(e.code, e.text);
        return;
      }
      sync.failed = !e.code;
      view.status();
      notice(T.next_needs_server);
      timers.next = setTimeout(() => { if (view.current + 1 === target) adaptiveNext(); }, 3000);
    }
  }

  const next = () => (meta.adaptive ? adaptiveNext() : view.show(view.current + 1));

  // --- pause, time, finish
  function setPaused(on) {
    clock.paused = on;
    lock(on || sync.blocked);
    if (on) {
      notice(T.paused);
      clearTimeout(timers.poll);
      timers.poll = setTimeout(poll, PAUSED_POLL);
    } else {
      notice('');
      sync.flush();
    }
    clock.tick();
    return null;
  }

  async function poll() {
    try {
      const res = await api('GET', '/jam');
      if (res.ok) {
        if (res.data.status !== 'in_progress') return goResult();
        if (sync.blocked && res.data.device_change_allowed) return takeOver();
        if (!res.data.paused && clock.paused) return setPaused(false);
        if (clock.timeUp && res.data.remaining_seconds > 2) {
          clock.timeUp = false;
          lock(false);
          notice('');
          return null;
        }
      } else if (res.status === 409 || res.status === 404) {
        return goResult();
      }
    } catch (e) { sync.failed = true; view.status(); }
    timers.poll = setTimeout(poll, clock.paused || sync.blocked ? PAUSED_POLL : clock.timeUp ? timeUpPoll() : 10000);
    return null;
  }

  // The proctor allowed this device: say so, and load the page again, whose start takes the session
  // over from the other device (the answers this device holds are sent after it).
  function takeOver() {
    notice(T.device_allowed);
    setTimeout(() => location.reload(), 1500);
    return null;
  }

  async function onTimeUp() {
    notice(T.time_up);
    lock(true);
    await sync.drain(25000); // saves in flight at the deadline are accepted in the grace period
    clearTimeout(timers.poll);
    // The server ends the session after its grace: ask once that has passed (on the server's clock).
    const due = clock.deadline + (Number(D.grace) || 0) * 1000 + 500 + Math.random() * AFTER_GRACE;
    timers.poll = setTimeout(poll, Math.max(0, due - Date.now()));
  }

  // A shared phone must not keep this exam's items after it ends (the next candidate may sit the same form).
  function forgetCached() {
    if (!window.caches) return Promise.resolve();
    const mine = (url) => {
      const path = new URL(url).pathname;
      return path === location.pathname || path.indexOf(D.api + '/') === 0;
    };
    return caches.keys().then((names) => Promise.all(names.filter((n) => n.indexOf('ujian-') === 0).map((n) =>
      caches.open(n).then((c) => c.keys().then((keys) => Promise.all(keys.filter((r) => mine(r.url)).map((r) => c.delete(r))))))));
  }

  function goResult() {
    if (leaving()) return null;
    const later = new Promise((resolve) => setTimeout(resolve, 2000));
    const forgotten = Promise.all([store.forget(), forgetCached().catch(() => null)]);
    Promise.race([forgotten, later]).then(() => location.replace(D.result));
    return null;
  }

  async function finish() {
    const yes = $('finish-yes');
    yes.disabled = true;
    try {
      if (!(await sync.drain(20000))) {
        view.closeFinish();
        notice(T.retry);
        return;
      }
      const res = await api('POST', '/selesai', { client_id: CLIENT });
      if (res.ok || res.status === 409) {
        if (res.ok || res.data.code === 'time_up' || res.data.code === 'session_ended') goResult();
        else { view.closeFinish(); handleCode(res.data.code, res.data.message); }
      } else {
        view.closeFinish();
        notice(res.data.message || T.error);
      }
    } catch (e) {
      view.closeFinish();
      sync.failed = true;
      view.status();
      notice(T.retry);
    } finally {
      yes.disabled = false;
    }
  }

  // --- keyboard
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || $('confirm-finish').open) return;
    const target = event.target;
    const typing = target.tagName === 'INPUT' && target.type === 'text';
    if (typing) return;
    const key = event.key;
    const current = view.current;
    const options = Array.prototype.slice.call(document.querySelectorAll('#item .opt input'));
    if (/^[1-9]$/.test(key) && options[key - 1] && !options[key - 1].disabled) {
      options[key - 1].click();
      options[key - 1].focus();
      event.preventDefault();
    } else if ((key === 'n' || (key === 'ArrowRight' && target.type !== 'radio')) && current < view.count()) {
      next();
      event.preventDefault();
    } else if ((key === 'p' || (key === 'ArrowLeft' && target.type !== 'radio')) && current > 1 && !meta.adaptive) {
      view.show(current - 1);
      event.preventDefault();
    } else if ((key === 'ArrowDown' || key === 'ArrowUp') && target.type !== 'radio' && options.length) {
      const at = options.indexOf(target);
      const to = key === 'ArrowDown' ? Math.min(options.length - 1, at + 1) : Math.max(0, at - 1);
      options[at < 0 ? 0 : to].focus();
      event.preventDefault();
    }
  }

  // --- start up
  function bind() {
    $('prev').addEventListener('click', () => view.show(view.current - 1));
    $('next').addEventListener('click', next);
    $('flag').addEventListener('change', () => {
      const mine = sync.answers[view.current] || {};
      record(view.current, mine.r == null ? null : mine.r, $('flag').checked);
    });
    $('grid').addEventListener('click', (event) => {
      const p = event.target.getAttribute('data-p');
      if (p && !meta.adaptive) {
        view.show(Number(p));
        $('item').focus();
      }
    });
    $('finish').addEventListener('click', view.openFinish);
    $('finish-no').addEventListener('click', view.closeFinish);
    $('finish-yes').addEventListener('click', finish);
    document.addEventListener('keydown', onKey);
    window.addEventListener('online', sync.online);
    window.addEventListener('offline', view.status);
    setInterval(clock.tick, 1000);
    setInterval(sync.flush, 15000); // also sends what another tab could not
    store.listen(heard);
  }

  // Another tab changed the record (or ended the exam): show its answers, never a stale one.
  function heard(message) {
    if (message === 'end') return goResult();
    const before = sync.answers[view.current];
    return sync.refresh().then(() => {
      const now = sync.answers[view.current];
      if ((now && now.s) !== (before && before.s) && view.items[view.current]) view.show(view.current);
      view.paintGrid();
      view.status();
    });
  }

  function registerWorker() {
    if (!('serviceWorker' in navigator) || !D.sw) return;
    const controlled = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.register(D.sw, { scope: '/ujian/' })
      .then(() => navigator.serviceWorker.ready)
      .then((reg) => {
        // A page loaded before the worker existed is not in its cache yet: ask it to keep a copy.
        if (!controlled && reg.active) reg.active.postMessage({ keep: location.pathname });
      })
      .catch(() => { /* the exam still works online */ });
  }

  // The start page's answer (start.js handOver), taken once: the player's first state, seconds old,
  // without asking the server again. Only for this device, and only fresh; else null (ask).
  function handedOver() {
    try {
      const key = 'ujian-mulai-' + D.session;
      const kept = JSON.parse(sessionStorage.getItem(key) || 'null');
      sessionStorage.removeItem(key);
      const age = kept ? Date.now() - kept.ended : Infinity;
      if (kept && kept.data && kept.device === CLIENT && age >= 0 && age < HANDOVER_MS) return kept;
    } catch (e) { /* no storage */ }
    return null;
  }

  async function boot() {
    T.loading = $('item').textContent.trim();
    bindPrefs();
    clock.restore();
    await store.open();
    await sync.adoptOld();
    await sync.refresh();
    bind();
    if (view.count()) view.show(view.current);
    clock.tick();
    view.status();
    let online = true;
    try {
      const kept = handedOver();
      if (kept) answered(kept.data, kept.started, kept.ended);
      const res = kept ? { ok: true, status: 200, data: kept.data } : await api('POST', '/mulai', { client_id: CLIENT });
      if (!res.ok) {
        handleCode(res.data.code, res.data.message);
        if (res.status === 409 || res.status === 404) return;
      } else if (!(await applyState(res.data))) {
        return;
      }
    } catch (e) {
      online = false;
      sync.failed = true;
    }
    if (online && !meta.adaptive && Object.keys(view.items).length < view.count()) {
      try { await fetchAll(); } catch (e) { /* per item, on demand */ }
    }
    view.show(view.current);
    if (sync.blocked || clock.paused) lock(true);
    view.status();
    registerWorker();
    sync.flush();
  }

  boot();
}
