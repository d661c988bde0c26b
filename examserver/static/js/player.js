/* The exam player: one item per screen, answers queued on the device and synced with sequence
   numbers, remaining time from the server's clock. Vanilla ES2017, no build step. */
'use strict';
(function () {
  const root = document.getElementById('player');
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const D = root.dataset;
  const T = JSON.parse($('player-text').textContent);
  const fmt = (text, values) => String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const API = D.api;
  const CLIENT = D.device;
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const PREFIX = 'ujian.' + D.session + '.';
  const BATCH = 50;
  // Saves the server will never take: dropped from the queue (adaptive_locked: the next item was
  // already chosen from the earlier answer), so they do not block the saves behind them.
  const DROP = ['response_invalid', 'position_unknown', 'seq_invalid', 'adaptive_locked'];

  // --- storage on the device
  /* Answers live in one record per session, {seq, a: {position: {r, f, s, t, w}}}: the latest
     response and flag of each position with its sequence number s, the device time t, and w = 1
     while the server has not acknowledged it (the queue of unsent saves is the entries with w).
     Tabs of one browser share storage but not memory, so every change (an answer, an
     acknowledgement, the server's answers on resume) re-reads the record and writes it back inside
     ONE IndexedDB readwrite transaction; the sequence number comes from the record's counter in the
     same transaction. IndexedDB runs readwrite transactions on one store one after another, in the
     order they were created, across tabs (W3C Indexed Database API 3.0, 2.7.2 "Transaction
     scheduling"), so no tab overwrites another's answer and no two saves share a number (the server
     would take the second for a replay). Not localStorage with Web Locks: the HTML standard leaves
     localStorage between processes undefined and warns that a read-increment-write there can give
     two windows the same number (12.2.3, the localStorage getter); a lock orders the writes but
     does not promise that a tab reads the last one. Without IndexedDB (a private mode, an old
     browser) the record lives in localStorage and is re-read before each change (inside a Web Lock
     when there is one): never worse than before, when each tab wrote its own copy back whole.
     A BroadcastChannel (or the storage event) makes the other tabs re-read the record, so every tab
     shows the latest answers and sends every tab's saves. */
  const memory = {};
  const load = (key, fallback) => {
    try {
      const raw = localStorage.getItem(PREFIX + key);
      return raw == null ? (key in memory ? memory[key] : fallback) : JSON.parse(raw);
    } catch (e) {
      return key in memory ? memory[key] : fallback;
    }
  };
  const keep = (key, value) => {
    memory[key] = value;
    try { localStorage.setItem(PREFIX + key, JSON.stringify(value)); } catch (e) { /* memory only */ }
  };
  const STORE = 'sesi';
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(PREFIX + 'tabs') : null;
  let db = null; // IndexedDB, or null: the record is in localStorage
  let last = { seq: 0, a: {} }; // the record as last read or written by this tab
  const held = {}; // answers chosen in this tab whose change is not written yet

  function openStore() {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 3000); // a broken IndexedDB may never answer
      const done = (value) => { clearTimeout(timer); resolve(value); };
      try {
        const request = indexedDB.open('ujian', 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE);
        request.onsuccess = () => done(request.result.objectStoreNames.contains(STORE) ? request.result : null);
        request.onerror = () => done(null);
      } catch (e) {
        done(null);
      }
    });
  }

  function tell(message) {
    if (channel) channel.postMessage(message);
    else try { localStorage.setItem(PREFIX + 'ping', message + Date.now()); } catch (e) { /* one tab only */ }
  }

  // One change to the stored record, atomic across tabs; then this tab adopts it and the others hear.
  function change(edit) {
    if (leaving) return Promise.resolve(last);
    const local = () => {
      const rec = load('state', null) || JSON.parse(JSON.stringify(last));
      edit(rec);
      keep('state', rec);
      return rec;
    };
    const written = db
      ? new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        let rec = null;
        store.get(D.session).onsuccess = (event) => {
          rec = event.target.result || { seq: 0, a: {} };
          edit(rec);
          store.put(rec, D.session);
        };
        tx.oncomplete = () => resolve(rec);
        tx.onerror = tx.onabort = () => reject(tx.error);
      }).catch(() => { db = null; return local(); })
      : navigator.locks ? navigator.locks.request(PREFIX + 'state', local) : Promise.resolve().then(local);
    return written.then((rec) => {
      adopt(rec);
      tell('change');
      return rec;
    });
  }

  function read() {
    if (!db) return Promise.resolve(load('state', null) || last);
    return new Promise((resolve, reject) => {
      const get = db.transaction(STORE).objectStore(STORE).get(D.session);
      get.onsuccess = () => resolve(get.result || { seq: 0, a: {} });
      get.onerror = () => reject(get.error);
    }).catch(() => last);
  }

  // The record as this tab's answers (display) and queue (unsent saves, oldest first).
  function adopt(rec) {
    last = rec;
    answers = {};
    queue = [];
    Object.keys(rec.a).forEach((p) => {
      const e = rec.a[p];
      answers[p] = { r: e.r, f: e.f, s: e.s };
      if (e.w) queue.push({ position: Number(p), seq: e.s, response: e.r, flagged: e.f, answered_at: e.t });
    });
    Object.keys(held).forEach((p) => { answers[p] = held[p]; });
    queue.sort((x, y) => x.seq - y.seq);
  }
  const refresh = () => read().then(adopt);

  // The server holds this answer: keep the newer of it and the stored one; either way it is not waiting.
  function settle(rec, position, response, flagged, seq) {
    const e = rec.a[position];
    if (!e || seq > e.s) rec.a[position] = { r: response, f: !!flagged, s: seq, w: 0 };
    else if (seq === e.s) e.w = 0;
    rec.seq = Math.max(rec.seq, seq);
  }
  const settleAll = (list) => (list.length
    ? change((rec) => list.forEach((a) => settle(rec, a.position, a.response, a.flagged, a.seq)))
    : Promise.resolve());

  // Acknowledged (or refused) saves leave the queue: only those, and only up to the seq the server has.
  const acknowledge = (acked) => change((rec) => Object.keys(acked).forEach((p) => {
    const e = rec.a[p];
    if (e && e.w && e.s <= acked[p]) e.w = 0;
  }));

  // Saves queued by a player from before this record (a page open across an update) are kept.
  function adoptOld() {
    const old = load('queue', []);
    const seen = load('answers', {});
    if (!old.length && !Object.keys(seen).length) return Promise.resolve();
    const seq = load('seq', 0);
    return change((rec) => {
      Object.keys(seen).forEach((p) => settle(rec, p, seen[p].r, seen[p].f, seen[p].s));
      old.forEach((q) => {
        const e = rec.a[q.position];
        if (!e || q.seq >= e.s) rec.a[q.position] = { r: q.response, f: !!q.flagged, s: q.seq, t: q.answered_at, w: 1 };
      });
      rec.seq = Math.max(rec.seq, seq);
    }).then(() => ['queue', 'answers', 'seq'].forEach((k) => {
      try { localStorage.removeItem(PREFIX + k); } catch (e) { /* gone */ }
    }));
  }

  function forgetSession() {
    tell('end'); // first: without a BroadcastChannel the message is a key, removed next
    try {
      Object.keys(localStorage).filter((k) => k.indexOf(PREFIX) === 0).forEach((k) => localStorage.removeItem(k));
    } catch (e) { /* nothing to forget */ }
    return new Promise((resolve) => {
      try {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).delete(D.session);
        tx.oncomplete = tx.onerror = tx.onabort = resolve;
      } catch (e) {
        resolve();
      }
    });
  }

  let items = load('items', {}); // position -> item payload (no keys ever)
  let answers = {}; // position -> {r: response, f: flagged, s: seq}, from the record
  let queue = []; // saves not yet acknowledged by the server, from the record
  let events = load('events', []); // integrity events for the proctoring hook
  let meta = load('meta', {}); // item_count, sections, clock {deadline, offset}
  let current = load('pos', 1);
  let failed = false; // the last request did not reach the server
  let sending = false;
  let blocked = false; // other device: stop saving, keep the queue
  let paused = false;
  let timeUp = false;
  let leaving = false;
  let backoff = 0;
  let retryTimer = 0;
  let single = false; // isolate an invalid save by sending one at a time
  let deadline = null; // deadline on the device's clock (ms)
  let pausedLeft = 0;

  // --- server's clock
  const parseTime = (iso) => Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  function syncClock(data, started, ended) {
    if (!data || !data.server_time || typeof data.remaining_seconds !== 'number') return;
    const mid = (started + ended) / 2;
    const server = parseTime(data.server_time);
    if (isNaN(server)) return;
    const offset = server - mid;
    deadline = mid + data.remaining_seconds * 1000;
    pausedLeft = data.remaining_seconds * 1000;
    meta.clock = { deadline: server + data.remaining_seconds * 1000, offset: offset, paused: paused, left: pausedLeft };
    keep('meta', meta);
    tick();
  }
  function restoreClock() {
    const c = meta.clock;
    if (!c) return;
    deadline = c.deadline - c.offset;
    paused = !!c.paused;
    pausedLeft = c.left || 0;
  }
  const serverNow = () => new Date(Date.now() + ((meta.clock && meta.clock.offset) || 0)).toISOString();
  const pad = (n) => (n < 10 ? '0' : '') + n;
  function tick() {
    if (deadline == null) return;
    const left = Math.max(0, paused ? pausedLeft : deadline - Date.now());
    const s = Math.ceil(left / 1000);
    const h = Math.floor(s / 3600);
    $('clock').textContent = (h ? h + ':' + pad(Math.floor(s / 60) % 60) : pad(Math.floor(s / 60))) + ':' + pad(s % 60);
    $('clock').classList.toggle('low', s <= 300);
    if (left <= 0 && !paused && !timeUp && !leaving) onTimeUp();
  }

  // --- network
  async function api(method, path, body, timeout) {
    const options = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body) {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRFToken'] = CSRF;
      options.body = JSON.stringify(body);
    }
    const abort = typeof AbortController === 'function' ? new AbortController() : null;
    if (abort) options.signal = abort.signal;
    const timer = setTimeout(() => abort && abort.abort(), timeout || 20000);
    const started = Date.now();
    try {
      const response = await fetch(API + path, options);
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      syncClock(data, started, Date.now());
      if (data && Array.isArray(data.messages)) showProctorMessage(data.messages);
      return { status: response.status, ok: response.ok, data: data };
    } finally {
      clearTimeout(timer);
    }
  }

  // The proctor's newest message or warning (it rides on saves and on the state); shown until a newer one.
  function showProctorMessage(list) {
    const last = list[list.length - 1];
    if (!last || !last.text) return;
    const box = $('proctor-msg');
    if (last.id === meta.msgSeen && !box.hidden) return;
    meta.msgSeen = last.id;
    keep('meta', meta);
    box.textContent = fmt(T.from_proctor, { text: last.text });
    box.hidden = false;
  }

  function handleCode(code, message) {
    if (code === 'time_up' || code === 'session_ended') return goResult();
    if (code === 'paused') return setPaused(true);
    if (code === 'other_device') {
      blocked = true;
      notice(T.other_device);
      lock(true);
      return null;
    }
    notice(message || T.error);
    return null;
  }

  function setNet() {
    const el = $('net');
    // Answers chosen a moment ago are waiting too, before their change is written.
    const n = queue.length + Object.keys(held).filter((p) => !queue.some((q) => q.position === Number(p))).length;
    let text = T.saved;
    let state = 'ok';
    if (!navigator.onLine || failed) {
      text = T.offline + (n ? ' · ' + fmt(T.waiting, { n: n }) : '');
      state = 'off';
    } else if (n) {
      text = fmt(T.waiting, { n: n });
      state = 'wait';
    }
    el.textContent = text;
    el.className = 'net ' + state;
  }

  function notice(text) {
    const el = $('notice');
    el.textContent = text || '';
    el.hidden = !text;
  }

  // --- answers
  const isAnswered = (a) => !!a && a.r != null && a.r !== '' && !(Array.isArray(a.r) && !a.r.length);

  function record(position, response, flagged) {
    if (blocked || timeUp || leaving) return;
    const at = serverNow();
    const shown = { r: response, f: !!flagged, s: (answers[position] || {}).s || 0 };
    held[position] = shown;
    answers[position] = shown;
    setNet();
    paintGrid();
    if (meta.adaptive && position === current) $('next').disabled = current >= count() || !isAnswered(answers[current]);
    // The latest save for a position supersedes the older ones (the server keeps the highest seq).
    change((rec) => {
      rec.seq = Math.max(rec.seq, meta.lastSeq || 0) + 1;
      rec.a[position] = { r: response, f: !!flagged, s: rec.seq, t: at, w: 1 };
    }).then(() => {
      if (held[position] === shown) {
        delete held[position];
        adopt(last);
      }
      setNet();
      paintGrid();
      flush();
    });
  }

  async function flush() {
    if (sending || blocked || paused) return setNet();
    sending = true;
    await refresh(); // the other tabs' saves too
    if (!queue.length) {
      sending = false;
      return setNet();
    }
    clearTimeout(retryTimer);
    const batch = queue.slice(0, single ? 1 : BATCH);
    const body = { client_id: CLIENT, saves: batch };
    const sentEvents = events.slice(0, 4);
    if (sentEvents.length) body.events = sentEvents;
    let again = false;
    try {
      const res = await api('POST', '/jawaban', body);
      if (res.ok && Array.isArray(res.data.saved)) {
        const acked = {};
        res.data.saved.forEach((a) => { acked[a.position] = a.seq; });
        await acknowledge(acked);
        if (sentEvents.length) {
          events = events.slice(sentEvents.length);
          keep('events', events);
        }
        failed = false;
        backoff = 0;
        single = single && queue.length > 0;
        again = true;
      } else if ((res.status === 400 || res.status === 409) && DROP.indexOf(res.data.code) >= 0) {
        if (batch.length > 1) {
          single = true; // find the one the server refuses
        } else {
          await acknowledge({ [batch[0].position]: batch[0].seq });
          notice(res.data.message || T.error);
        }
        failed = false;
        again = true;
      } else if (res.status === 409) {
        failed = false;
        handleCode(res.data.code, res.data.message);
      } else if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        failed = false;
        blocked = res.data.code === 'csrf_failed';
        notice(res.data.message || T.error);
        retryLater();
      } else {
        failed = true;
        retryLater();
      }
    } catch (e) {
      failed = true;
      retryLater();
    }
    sending = false;
    setNet();
    if (again && queue.length) flush();
  }

  function retryLater() {
    clearTimeout(retryTimer);
    backoff = Math.min(30000, backoff ? backoff * 2 : 1000);
    retryTimer = setTimeout(flush, backoff + Math.random() * 500);
  }

  async function drain(limit) {
    const until = Date.now() + limit;
    while (queue.length && !blocked && Date.now() < until) {
      await flush();
      if (queue.length) await new Promise((r) => setTimeout(r, failed ? 1500 : 100));
    }
    return !queue.length;
  }

  // --- state, items
  async function applyState(state) {
    meta.count = state.item_count;
    meta.sections = state.sections;
    // Adaptive: the server chooses each next item from the answers, so only reached items exist.
    meta.adaptive = state.mode === 'adaptive';
    meta.reached = Math.max(state.reached || 0, meta.adaptive ? reached() : 0);
    meta.lastSeq = Math.max(meta.lastSeq || 0, state.last_seq || 0);
    keep('meta', meta);
    await settleAll(state.answers || []);
    if (state.status && state.status !== 'in_progress') {
      if (state.result_url) goResult();
      return false;
    }
    if (state.paused) setPaused(true);
    return true;
  }

  // An item may carry the answer the server holds (a resumed session).
  function storeItem(item) {
    items[item.position] = item;
    return item.response != null && item.seq ? [item] : [];
  }

  async function fetchAll() {
    const res = await api('GET', '/butir');
    if (!res.ok || !Array.isArray(res.data.items)) throw new Error('items');
    const answered = [].concat(...res.data.items.map(storeItem));
    keep('items', items);
    await settleAll(answered);
  }

  async function fetchOne(position) {
    const res = await api('GET', '/butir/' + position);
    if (!res.ok) {
      const error = new Error('item');
      error.code = res.data.code;
      error.text = res.data.message;
      throw error;
    }
    await settleAll(storeItem(res.data));
    if (meta.adaptive) {
      meta.reached = Math.max(meta.reached || 0, position);
      keep('meta', meta);
    }
    keep('items', items);
  }

  // Adaptive: the next item needs the server (it is chosen from the answers). The answer goes
  // first (it stays in the queue on the device until acknowledged), then the item is asked for;
  // offline or on a failure this retries with a plain message and loses nothing.
  let nextTimer = 0;
  async function adaptiveNext() {
    clearTimeout(nextTimer);
    const target = current + 1;
    if (target > count() || !isAnswered(answers[current])) return;
    if (items[target]) return show(target);
    notice(T.next_needs_server);
    const sent = await drain(5000);
    try {
      if (!sent) throw new Error('queue');
      await fetchOne(target);
      notice('');
      failed = false;
      setNet();
      show(target);
    } catch (e) {
      if (e.code && e.code !== 'adaptive_answer_first') {
        handleCode(e.code, e.text);
        return;
      }
      failed = !e.code;
      setNet();
      notice(T.next_needs_server);
      nextTimer = setTimeout(() => { if (current + 1 === target) adaptiveNext(); }, 3000);
    }
  }

  // --- display
  const count = () => meta.count || Object.keys(items).length;
  const reached = () => Math.max(meta.reached || 0, ...Object.keys(items).map(Number), 0);
  const lastReachable = () => (meta.adaptive ? Math.min(count(), reached()) : count());

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => node.setAttribute(k, attrs[k]));
    if (text != null) node.textContent = text;
    return node;
  }

  function show(position) {
    const n = count();
    if (!n) return;
    current = Math.min(Math.max(meta.adaptive ? lastReachable() : 1, position), lastReachable() || 1);
    keep('pos', current);
    const box = $('item');
    const item = items[current];
    box.textContent = '';
    $('prev').disabled = meta.adaptive || current <= 1;
    $('next').disabled = current >= n || (meta.adaptive && !isAnswered(answers[current]));
    const mine = answers[current] || {};
    $('flag').checked = !!mine.f;
    paintGrid();
    if (!item) {
      box.setAttribute('aria-busy', 'true');
      box.appendChild(el('p', {}, T.loading));
      fetchOne(current).then(() => { if (items[current]) show(current); }, () => {
        failed = true;
        setNet();
        box.lastChild.textContent = T.retry;
      });
      return;
    }
    box.setAttribute('aria-busy', 'false');
    const head = el('h1', { id: 'item-title', class: 'qno' }, fmt(T.question, { p: current, n: n }));
    if (item.section) head.appendChild(el('span', { class: 'sec' }, item.section));
    box.appendChild(head);
    const stem = el('div', { class: 'stem', id: 'item-stem' });
    stem.innerHTML = item.stem; // sanitised by the server
    box.appendChild(stem);
    (item.images || []).forEach((img) => {
      const attrs = { src: img.src, alt: img.alt || '', loading: 'lazy' };
      if (img.width) attrs.width = img.width;
      if (img.height) attrs.height = img.height;
      box.appendChild(el('img', attrs));
    });
    if (item.kind === 'numeric') {
      const wrap = el('p', { class: 'numeric' });
      wrap.appendChild(el('label', { for: 'answer-num' }, T.numeric_label));
      const input = el('input', { id: 'answer-num', type: 'text', inputmode: 'decimal', autocomplete: 'off', maxlength: '40' });
      input.value = mine.r == null ? '' : String(mine.r);
      let wait = 0;
      const commit = () => {
        clearTimeout(wait);
        const value = input.value.trim();
        const before = (answers[current] || {}).r;
        if ((value || null) !== (before == null ? null : String(before))) record(current, value || null, $('flag').checked);
      };
      input.addEventListener('input', () => { clearTimeout(wait); wait = setTimeout(commit, 800); });
      input.addEventListener('change', commit);
      wrap.appendChild(input);
      box.appendChild(wrap);
    } else {
      const group = el('fieldset', { class: 'options', 'aria-labelledby': 'item-title item-stem' });
      const type = item.kind === 'multiple' ? 'checkbox' : 'radio';
      const chosen = Array.isArray(mine.r) ? mine.r : mine.r == null ? [] : [String(mine.r)];
      item.options.forEach((option, index) => {
        const id = 'opt-' + option.id;
        const label = el('label', { class: 'opt', for: id });
        const input = el('input', { type: type, name: 'answer', id: id, value: option.id });
        input.checked = chosen.indexOf(option.id) >= 0;
        label.classList.toggle('on', input.checked);
        label.appendChild(input);
        label.appendChild(el('span', { class: 'key', 'aria-hidden': 'true' }, String.fromCharCode(65 + index)));
        const text = el('span', { class: 'txt' });
        text.innerHTML = option.html; // sanitised by the server
        label.appendChild(text);
        group.appendChild(label);
      });
      group.addEventListener('change', () => choose(group, type));
      box.appendChild(group);
    }
    if (blocked || paused || timeUp) lock(true);
  }

  function choose(group, type) {
    const inputs = Array.prototype.slice.call(group.querySelectorAll('input'));
    inputs.forEach((i) => i.parentNode.classList.toggle('on', i.checked));
    const picked = inputs.filter((i) => i.checked).map((i) => i.value);
    const response = type === 'radio' ? picked[0] || null : picked.length ? picked.sort() : null;
    record(current, response, $('flag').checked);
  }

  function paintGrid() {
    const grid = $('grid');
    const n = count();
    const shown = meta.adaptive ? lastReachable() : n;
    if (grid.children.length !== shown) {
      grid.textContent = '';
      for (let p = 1; p <= shown; p += 1) {
        const li = el('li');
        const button = el('button', { type: 'button', 'data-p': p }, String(p));
        li.appendChild(button);
        grid.appendChild(li);
      }
    }
    let answered = 0;
    let flagged = 0;
    Array.prototype.forEach.call(grid.querySelectorAll('button'), (button, index) => {
      const p = index + 1;
      const a = answers[p];
      const done = isAnswered(a);
      const flag = !!(a && a.f);
      answered += done;
      flagged += flag;
      button.className = (done ? 'done' : '') + (flag ? ' flagged' : '') + (p === current ? ' now' : '');
      if (p === current) button.setAttribute('aria-current', 'step'); else button.removeAttribute('aria-current');
      button.setAttribute('aria-label', fmt(done ? T.nav_answered : T.nav_unanswered, { p: p }) + (flag ? ', ' + T.nav_flagged : ''));
    });
    $('counts').textContent = fmt(T.answered, { a: answered, n: n }) + ' · ' + fmt(T.flagged, { f: flagged });
    return { answered: answered, n: n };
  }

  function lock(on) {
    Array.prototype.forEach.call(document.querySelectorAll('#item input, #flag, #finish'), (i) => { i.disabled = on; });
  }

  // --- pause, time, finish
  let pollTimer = 0;
  function setPaused(on) {
    paused = on;
    lock(on || blocked);
    if (on) {
      notice(T.paused);
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, 10000);
    } else {
      notice('');
      flush();
    }
    tick();
    return null;
  }

  async function poll() {
    try {
      const res = await api('GET', '/status');
      if (res.ok) {
        if (res.data.status !== 'in_progress') return goResult();
        if (!res.data.paused && paused) return setPaused(false);
        if (timeUp && res.data.remaining_seconds > 2) {
          timeUp = false;
          lock(false);
          notice('');
          return null;
        }
      } else if (res.status === 409 || res.status === 404) {
        return goResult();
      }
    } catch (e) { failed = true; setNet(); }
    pollTimer = setTimeout(poll, timeUp ? 3000 : 10000);
    return null;
  }

  async function onTimeUp() {
    timeUp = true;
    notice(T.time_up);
    lock(true);
    await drain(25000); // saves in flight at the deadline are accepted in the grace period
    clearTimeout(pollTimer);
    poll(); // the server ends the session after its grace period
  }

  // A shared phone must not keep this exam's items after it ends (the next candidate may sit the same form).
  function forgetCached() {
    if (!window.caches) return Promise.resolve();
    const mine = (url) => {
      const path = new URL(url).pathname;
      return path === location.pathname || path.indexOf(API + '/') === 0;
    };
    return caches.keys().then((names) => Promise.all(names.filter((n) => n.indexOf('ujian-') === 0).map((n) =>
      caches.open(n).then((c) => c.keys().then((keys) => Promise.all(keys.filter((r) => mine(r.url)).map((r) => c.delete(r))))))));
  }

  function goResult() {
    if (leaving) return null;
    leaving = true;
    const later = new Promise((resolve) => setTimeout(resolve, 2000));
    const forgotten = Promise.all([forgetSession(), forgetCached().catch(() => null)]);
    Promise.race([forgotten, later]).then(() => location.replace(D.result));
    return null;
  }

  function openFinish() {
    const done = paintGrid();
    $('finish-summary').textContent = fmt(T.finish_summary, { a: done.answered, n: done.n, u: done.n - done.answered });
    const dialog = $('confirm-finish');
    if (typeof dialog.showModal === 'function') dialog.showModal(); else dialog.setAttribute('open', '');
    $('finish-no').focus();
  }

  function closeFinish() {
    const dialog = $('confirm-finish');
    if (typeof dialog.close === 'function') dialog.close(); else dialog.removeAttribute('open');
  }

  async function finish() {
    const yes = $('finish-yes');
    yes.disabled = true;
    try {
      if (!(await drain(20000))) {
        closeFinish();
        notice(T.retry);
        return;
      }
      const res = await api('POST', '/selesai', { client_id: CLIENT });
      if (res.ok || res.status === 409) {
        if (res.ok || res.data.code === 'time_up' || res.data.code === 'session_ended') goResult();
        else { closeFinish(); handleCode(res.data.code, res.data.message); }
      } else {
        closeFinish();
        notice(res.data.message || T.error);
      }
    } catch (e) {
      closeFinish();
      failed = true;
      setNet();
      notice(T.retry);
    } finally {
      yes.disabled = false;
    }
  }

  // --- preferences, keyboard
  const html = document.documentElement;
  let font = Number(localStorage.getItem('ujian.font') || 0) || 0;
  function applyPrefs() {
    html.classList.remove('fs--1', 'fs-1', 'fs-2', 'fs-3');
    if (font) html.classList.add('fs-' + font);
    const hc = localStorage.getItem('ujian.contrast') === '1';
    html.classList.toggle('hc', hc);
    $('contrast').setAttribute('aria-pressed', String(hc));
  }
  function setFont(step) {
    font = Math.min(3, Math.max(-1, font + step));
    try { localStorage.setItem('ujian.font', String(font)); } catch (e) { /* session only */ }
    applyPrefs();
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || $('confirm-finish').open) return;
    const target = event.target;
    const typing = target.tagName === 'INPUT' && target.type === 'text';
    if (typing) return;
    const key = event.key;
    const options = Array.prototype.slice.call(document.querySelectorAll('#item .opt input'));
    if (/^[1-9]$/.test(key) && options[key - 1] && !options[key - 1].disabled) {
      options[key - 1].click();
      options[key - 1].focus();
      event.preventDefault();
    } else if ((key === 'n' || (key === 'ArrowRight' && target.type !== 'radio')) && current < count()) {
      if (meta.adaptive) adaptiveNext(); else show(current + 1);
      event.preventDefault();
    } else if ((key === 'p' || (key === 'ArrowLeft' && target.type !== 'radio')) && current > 1 && !meta.adaptive) {
      show(current - 1);
      event.preventDefault();
    } else if ((key === 'ArrowDown' || key === 'ArrowUp') && target.type !== 'radio' && options.length) {
      const at = options.indexOf(target);
      const to = key === 'ArrowDown' ? Math.min(options.length - 1, at + 1) : Math.max(0, at - 1);
      options[at < 0 ? 0 : to].focus();
      event.preventDefault();
    }
  }

  // --- integrity hook
  // Events ride along with the next save (the proctoring log): {kind, at, duration_ms, position}.
  function note(kind, since) {
    const event = { kind: kind, at: serverNow(), position: current };
    if (since) event.duration_ms = Date.now() - since;
    events.push(event);
    events = events.slice(-200);
    keep('events', events);
  }
  let hiddenSince = document.hidden ? Date.now() : 0;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      hiddenSince = hiddenSince || Date.now();
    } else if (hiddenSince) {
      // Shorter than a second is a flicker (a notification shade), not leaving the exam.
      if (Date.now() - hiddenSince >= 1000) note('focus_lost', hiddenSince);
      hiddenSince = 0;
    }
  });
  let offlineSince = 0;
  window.addEventListener('offline', () => { offlineSince = Date.now(); note('offline'); });
  window.addEventListener('online', () => { note('online', offlineSince); offlineSince = 0; });

  // --- start up
  function bind() {
    $('prev').addEventListener('click', () => show(current - 1));
    $('next').addEventListener('click', () => (meta.adaptive ? adaptiveNext() : show(current + 1)));
    $('flag').addEventListener('change', () => {
      const mine = answers[current] || {};
      record(current, mine.r == null ? null : mine.r, $('flag').checked);
    });
    $('grid').addEventListener('click', (event) => {
      const p = event.target.getAttribute('data-p');
      if (p && !meta.adaptive) {
        show(Number(p));
        $('item').focus();
      }
    });
    $('font-down').addEventListener('click', () => setFont(-1));
    $('font-up').addEventListener('click', () => setFont(1));
    $('contrast').addEventListener('click', () => {
      const on = !html.classList.contains('hc');
      try { localStorage.setItem('ujian.contrast', on ? '1' : '0'); } catch (e) { /* session only */ }
      applyPrefs();
    });
    $('finish').addEventListener('click', openFinish);
    $('finish-no').addEventListener('click', closeFinish);
    $('finish-yes').addEventListener('click', finish);
    document.addEventListener('keydown', onKey);
    window.addEventListener('online', () => { failed = false; backoff = 0; flush(); });
    window.addEventListener('offline', setNet);
    setInterval(tick, 1000);
    setInterval(flush, 15000); // also sends what another tab could not
    if (channel) channel.onmessage = (event) => heard(event.data);
    window.addEventListener('storage', (event) => {
      if (event.key === PREFIX + 'ping' && event.newValue) heard(event.newValue.replace(/\d+$/, ''));
      else if (event.key === PREFIX + 'state') heard('change');
    });
  }

  // Another tab changed the record (or ended the exam): show its answers, never a stale one.
  function heard(message) {
    if (message === 'end') return goResult();
    const before = answers[current];
    return refresh().then(() => {
      const now = answers[current];
      if ((now && now.s) !== (before && before.s) && items[current]) show(current);
      paintGrid();
      setNet();
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

  async function boot() {
    T.loading = $('item').textContent.trim();
    applyPrefs();
    restoreClock();
    db = await openStore();
    await adoptOld();
    await refresh();
    bind();
    if (count()) show(current);
    tick();
    setNet();
    let online = true;
    try {
      const res = await api('POST', '/mulai', { client_id: CLIENT });
      if (!res.ok) {
        handleCode(res.data.code, res.data.message);
        if (res.status === 409 || res.status === 404) return;
      } else if (!(await applyState(res.data))) {
        return;
      }
    } catch (e) {
      online = false;
      failed = true;
    }
    if (online && !meta.adaptive && Object.keys(items).length < count()) {
      try { await fetchAll(); } catch (e) { /* per item, on demand */ }
    }
    show(current);
    if (blocked || paused) lock(true);
    setNet();
    registerWorker();
    flush();
  }

  boot();
}());
