/* Readiness check: latency, download speed, clock offset, browser features, storage. */
'use strict';
(function () {
  const list = document.getElementById('checks');
  if (!list) return;
  const T = JSON.parse(list.dataset.text);
  const PING = list.dataset.ping;
  const verdict = document.getElementById('verdict');
  const RANK = { ok: 0, warn: 1, bad: 2 };
  const results = [];

  function row(label, value, level, note) {
    const li = document.createElement('li');
    const name = document.createElement('strong');
    name.textContent = label + ': ';
    li.appendChild(name);
    li.appendChild(document.createTextNode(value + ' '));
    const badge = document.createElement('span');
    badge.className = 'badge' + (level === 'ok' ? ' badge-ok' : level === 'bad' ? ' badge-bad' : '');
    badge.textContent = T[level];
    li.appendChild(badge);
    if (note) {
      const small = document.createElement('span');
      small.className = 'small';
      small.textContent = ' ' + note;
      li.appendChild(small);
    }
    list.appendChild(li);
    results.push(level);
  }

  const median = (values) => {
    const s = values.slice().sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };

  async function ping(extra) {
    const started = performance.now();
    const wall = Date.now();
    const response = await fetch(PING + (extra || ''), { cache: 'no-store', credentials: 'same-origin' });
    const body = await response.arrayBuffer();
    const elapsed = performance.now() - started;
    const server = Date.parse(String(response.headers.get('X-Server-Time') || '').replace(/(\.\d{3})\d+/, '$1').replace(/(T[\d:.]+)$/, '$1Z'));
    return { elapsed: elapsed, bytes: body.byteLength, offset: server - (wall + elapsed / 2) };
  }

  function features() {
    const has = {
      fetch: typeof fetch === 'function',
      promise: typeof Promise === 'function',
      storage: (() => { try { localStorage.setItem('ujian.cek', '1'); localStorage.removeItem('ujian.cek'); return true; } catch (e) { return false; } })(),
      idb: typeof indexedDB !== 'undefined',
      worker: 'serviceWorker' in navigator && window.isSecureContext !== false,
      dialog: typeof HTMLDialogElement === 'function',
    };
    const missing = Object.keys(has).filter((k) => !has[k]);
    const level = !has.fetch || !has.promise || !has.storage ? 'bad' : missing.length ? 'warn' : 'ok';
    row(T.browser, missing.length ? '- ' + missing.join(', ') : '✓', level);
  }

  async function storage() {
    let free = null;
    try {
      if (navigator.storage && navigator.storage.estimate) {
        const e = await navigator.storage.estimate();
        free = (e.quota || 0) - (e.usage || 0);
      }
    } catch (e) { free = null; }
    if (free == null) {
      row(T.storage, '?', 'warn');
      return;
    }
    const mb = free / 1048576;
    row(T.storage, (mb >= 1024 ? (mb / 1024).toFixed(1) + ' GB' : Math.round(mb) + ' MB'), mb >= 50 ? 'ok' : mb >= 5 ? 'warn' : 'bad');
  }

  async function network() {
    const pings = [];
    for (let i = 0; i < 5; i += 1) {
      try { pings.push(await ping('')); } catch (e) { /* counted as lost */ }
    }
    if (!pings.length) {
      row(T.latency, '-', 'bad');
      row(T.speed, '-', 'bad');
      return;
    }
    const latency = median(pings.map((p) => p.elapsed));
    row(T.latency, Math.round(latency) + ' ms', pings.length < 4 ? 'bad' : latency < 300 ? 'ok' : latency < 1000 ? 'warn' : 'bad');
    try {
      const big = await ping('?kb=64');
      const seconds = Math.max(0.001, (big.elapsed - latency) / 1000);
      const kbps = (big.bytes * 8) / 1000 / seconds;
      row(T.speed, Math.round(kbps) + ' kbps', kbps >= 1000 ? 'ok' : kbps >= 200 ? 'warn' : 'bad');
    } catch (e) {
      row(T.speed, '-', 'bad');
    }
    const best = pings.reduce((a, b) => (b.elapsed < a.elapsed ? b : a));
    if (!isNaN(best.offset)) {
      const off = Math.round(best.offset / 1000);
      const text = (off > 0 ? '-' : '+') + Math.abs(off) + ' s';
      // The exam clock is the server's, so a wrong device clock is at worst a warning.
      row(T.clock, text, Math.abs(off) <= 60 ? 'ok' : 'warn', T.clock_note);
    }
  }

  async function run() {
    list.textContent = '';
    features();
    await storage();
    await network();
    const worst = results.reduce((w, l) => (RANK[l] > RANK[w] ? l : w), 'ok');
    verdict.textContent = T[worst + '_all'];
    verdict.className = 'flash' + (worst === 'ok' ? ' flash-success' : worst === 'bad' ? ' flash-error' : '');
  }

  run();
}());
