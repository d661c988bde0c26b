/* Storage on the device for one exam session: small values in localStorage (with a memory copy when
   localStorage refuses), and the answer record shared by the tabs of this browser.

   Answers live in one record per session, {seq, a: {position: {r, f, s, t, w}}}: the latest
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
   shows the latest answers and sends every tab's saves.

   Key names and formats are the device's contract with every page version: localStorage keys
   'ujian.<session>.<name>', IndexedDB database 'ujian' (version 1), store 'sesi', key = session id. */

const STORE = 'sesi';
const blank = () => ({ seq: 0, a: {} });

// Opens the 'ujian' database, or gives null (then the record lives in localStorage).
function openDatabase() {
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

export function createStorage(session) {
  const prefix = 'ujian.' + session + '.';
  const memory = {};
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(prefix + 'tabs') : null;
  let db = null; // IndexedDB, or null: the record is in localStorage
  let last = blank(); // the record as last read or written by this tab
  let closed = false; // the session is over here: nothing more is written

  function load(key, fallback) {
    try {
      const raw = localStorage.getItem(prefix + key);
      return raw == null ? (key in memory ? memory[key] : fallback) : JSON.parse(raw);
    } catch (e) {
      return key in memory ? memory[key] : fallback;
    }
  }

  function keep(key, value) {
    memory[key] = value;
    try { localStorage.setItem(prefix + key, JSON.stringify(value)); } catch (e) { /* memory only */ }
  }

  function remove(key) {
    try { localStorage.removeItem(prefix + key); } catch (e) { /* gone */ }
  }

  async function open() {
    db = await openDatabase();
    return db;
  }

  // Tells the other tabs: 'change' (re-read the record) or 'end' (the exam is over).
  function tell(message) {
    if (channel) channel.postMessage(message);
    else try { localStorage.setItem(prefix + 'ping', message + Date.now()); } catch (e) { /* one tab only */ }
  }

  // One change to the stored record, atomic across tabs; gives the record written, or null once closed.
  function change(edit) {
    if (closed) return Promise.resolve(null);
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
        store.get(session).onsuccess = (event) => {
          rec = event.target.result || blank();
          edit(rec);
          store.put(rec, session);
        };
        tx.oncomplete = () => resolve(rec);
        tx.onerror = tx.onabort = () => reject(tx.error);
      }).catch(() => { db = null; return local(); })
      : navigator.locks ? navigator.locks.request(prefix + 'state', local) : Promise.resolve().then(local);
    return written.then((rec) => { last = rec; return rec; });
  }

  function read() {
    const got = !db
      ? Promise.resolve(load('state', null) || last)
      : new Promise((resolve, reject) => {
        const get = db.transaction(STORE).objectStore(STORE).get(session);
        get.onsuccess = () => resolve(get.result || blank());
        get.onerror = () => reject(get.error);
      }).catch(() => last);
    return got.then((rec) => { last = rec; return rec; });
  }

  // Everything of this session leaves the device (a shared phone: the next candidate may sit the same form).
  function forget() {
    closed = true;
    tell('end'); // first: without a BroadcastChannel the message is a key, removed next
    try {
      Object.keys(localStorage).filter((k) => k.indexOf(prefix) === 0).forEach((k) => localStorage.removeItem(k));
    } catch (e) { /* nothing to forget */ }
    return new Promise((resolve) => {
      try {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).delete(session);
        tx.oncomplete = tx.onerror = tx.onabort = resolve;
      } catch (e) {
        resolve();
      }
    });
  }

  // Calls listen(message) when another tab changed the record or ended the exam.
  function listen(heard) {
    if (channel) channel.onmessage = (event) => heard(event.data);
    window.addEventListener('storage', (event) => {
      if (event.key === prefix + 'ping' && event.newValue) heard(event.newValue.replace(/\d+$/, ''));
      else if (event.key === prefix + 'state') heard('change');
    });
  }

  return {
    prefix, load, keep, remove, open, tell, change, read, forget, listen,
    get last() { return last; },
    get closed() { return closed; },
  };
}
