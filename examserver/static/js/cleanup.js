/* On every page: forget what the exam player kept in this browser (items, answers, queue, the
   service worker's copies) for the sessions the server calls over, so the next person on a shared
   computer finds nothing. Nothing is deleted without the server's answer. */
'use strict';
(function () {
  const url = document.currentScript.dataset.url;
  const LS = /^ujian\.(\d+)\./;
  const CACHED = /^\/(?:ujian|api\/sesi)\/(\d+)(?:\/|$)/;
  const found = {};
  const idOf = (re, text) => (re.exec(text) || [])[1];
  const note = (id) => { if (id) found[id] = 1; };
  const path = (request) => new URL(request.url).pathname;
  const local = () => { try { return Object.keys(localStorage); } catch (e) { return []; } };
  local().forEach((k) => note(idOf(LS, k)));
  const stored = new Promise((resolve) => {
    try {
      const open = indexedDB.open('ujian');
      open.onupgradeneeded = () => open.transaction.abort(); // no database yet: do not make one
      open.onerror = () => resolve(null);
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('sesi')) { db.close(); return resolve(null); }
        const keys = db.transaction('sesi').objectStore('sesi').getAllKeys();
        keys.onsuccess = () => { keys.result.forEach((k) => note(/^\d+$/.test(k) && k)); resolve(db); };
        keys.onerror = () => resolve(db);
      };
    } catch (e) { resolve(null); }
  });
  const cached = self.caches
    ? caches.keys().then((names) => Promise.all(names.filter((n) => n.indexOf('ujian-') === 0).map((n) => caches.open(n)
      .then((c) => c.keys().then((list) => { list.forEach((r) => note(idOf(CACHED, path(r)))); return c; }))))).catch(() => [])
    : Promise.resolve([]);
  Promise.all([stored, cached]).then(([db, boxes]) => {
    const ids = Object.keys(found);
    if (!ids.length) return db && db.close();
    return fetch(url + '?' + ids.map((i) => 'id=' + i).join('&'), { credentials: 'same-origin' })
      .then((res) => (res.ok ? res.json() : { ended: [] }))
      .then((data) => {
        const over = {};
        (data.ended || []).forEach((i) => { over[i] = 1; });
        local().forEach((k) => { if (over[idOf(LS, k)]) localStorage.removeItem(k); });
        boxes.forEach((c) => c.keys().then((list) => list.forEach((r) => { if (over[idOf(CACHED, path(r))]) c.delete(r); })));
        const store = db && db.transaction('sesi', 'readwrite').objectStore('sesi');
        if (store) Object.keys(over).forEach((i) => store.delete(i));
      })
      .finally(() => db && db.close()); // after the deletes: a closing connection finishes its transactions
  }).catch(() => null);
})();
