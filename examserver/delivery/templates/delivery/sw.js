/* Keeps the exam player working through an outage: the player page and its static files, and
   the candidate's items (which never carry keys). Answers are never cached here: they live in the
   player's own queue until the server acknowledges them. */
'use strict';
const CACHE = 'ujian-player-v1';
const STATIC = [{% for file in player_files %}{{ url_for('static', filename=file)|tojson }}{{ ", " if not loop.last }}{% endfor %}];
const PAGE = /^\/ujian\/\d+$/;
const ITEMS = /^\/api\/sesi\/\d+\/butir(\/\d+)?$/;

self.addEventListener('install', (event) => {
  // The page has just loaded these files: take them from the HTTP cache, not over the air again.
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all(STATIC.map((url) => cache.add(new Request(url, { cache: 'force-cache' })).catch(() => null))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.indexOf('ujian-') === 0 && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

const isPlayer = (response) => response.text().then((text) => text.indexOf('id="player"') >= 0);

function fetchAndKeep(request, key, check) {
  let stored = null;
  const response = fetch(request).then((res) => {
    if (res.ok && res.type === 'basic' && !res.redirected) {
      const copy = res.clone();
      stored = Promise.resolve(check ? check(copy.clone()) : true)
        .then((ok) => ok && caches.open(CACHE).then((cache) => cache.put(key, copy)));
    }
    return res;
  });
  return { response: response, done: response.then(() => stored).catch(() => null) };
}

// An overloaded server or proxy (5xx) is an outage too: the kept copy, if there is one, not an error page.
function networkFirst(event, key, check) {
  const got = fetchAndKeep(event.request, key, check);
  const kept = () => caches.open(CACHE).then((cache) => cache.match(key));
  event.respondWith(got.response.then(
    (res) => (res.status >= 500 ? kept().then((hit) => hit || res) : res),
    (error) => kept().then((hit) => hit || Promise.reject(error))));
  event.waitUntil(got.done);
}

function cacheFirst(event, key) {
  const got = fetchAndKeep(event.request, key, null);
  event.respondWith(caches.open(CACHE).then((cache) => cache.match(key)).then((hit) => hit || got.response));
  event.waitUntil(got.done);  // refresh the copy for the next load
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;  // saves and starts always go to the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && PAGE.test(url.pathname)) return networkFirst(event, url.pathname, isPlayer);
  if (ITEMS.test(url.pathname)) return networkFirst(event, url.pathname, null);
  if (STATIC.indexOf(url.pathname) >= 0) return cacheFirst(event, url.pathname);
});

self.addEventListener('message', (event) => {
  const path = event.data && event.data.keep;
  if (typeof path !== 'string' || !PAGE.test(path)) return;
  event.waitUntil(
    fetch(path, { credentials: 'same-origin' })
      .then((res) => (res.ok && !res.redirected ? isPlayer(res.clone()).then((ok) => ok && caches.open(CACHE).then((c) => c.put(path, res))) : null))
      .catch(() => null)
  );
});
