/* The queue of answers not yet held by the server, kept in the device's record (storage.js) and
   sent in batches to POST /jawaban. Each save carries the position, the record's sequence number
   (one counter per session, so the server keeps the highest and takes a resend of the same number
   for a replay: a retried batch is idempotent), the response, the flag and the device's time.
   A newer answer for a position replaces the older unsent one in the record, so only the latest
   is sent. Saves leave the queue only when the server acknowledges them (or refuses one for good);
   an outage keeps them and retries with exponential backoff. */

const BATCH = 50;
// Saves the server will never take: dropped from the queue (adaptive_locked: the next item was
// already chosen from the earlier answer), so they do not block the saves behind them.
export const DROP = ['response_invalid', 'position_unknown', 'seq_invalid', 'adaptive_locked'];

const noop = () => undefined;

/* store: createStorage(...); api: createApi(...); client: this device's id.
   hooks (all optional): canSend() (false while paused), lastSeq() (the highest seq the server has
   seen), events {peek(n), drop(n)} (integrity events that ride along), status() (the queue or the
   link changed), notice(text), code(code, message) (a 409 the player handles), error (text). */
export function createSync(store, api, client, hooks) {
  const on = Object.assign({
    canSend: () => true, lastSeq: () => 0, events: null, status: noop, notice: noop, code: noop, error: '',
  }, hooks || {});
  let answers = {}; // position -> {r: response, f: flagged, s: seq}, from the record (and held)
  let queue = []; // saves not yet acknowledged by the server, oldest first, from the record
  const held = {}; // answers chosen in this tab whose change is not written yet
  const link = { failed: false, sending: false, blocked: false, single: false, backoff: 0, timer: 0 };

  // The record as this tab's answers (display) and queue (unsent saves, oldest first).
  function adopt(rec) {
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

  // One change to the record; then this tab adopts it and the others hear.
  const change = (edit) => store.change(edit).then((rec) => {
    if (!rec) return store.last;
    adopt(rec);
    store.tell('change');
    return rec;
  });
  const refresh = () => store.read().then(adopt);

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
    const old = store.load('queue', []);
    const seen = store.load('answers', {});
    if (!old.length && !Object.keys(seen).length) return Promise.resolve();
    const seq = store.load('seq', 0);
    return change((rec) => {
      Object.keys(seen).forEach((p) => settle(rec, p, seen[p].r, seen[p].f, seen[p].s));
      old.forEach((q) => {
        const e = rec.a[q.position];
        if (!e || q.seq >= e.s) rec.a[q.position] = { r: q.response, f: !!q.flagged, s: q.seq, t: q.answered_at, w: 1 };
      });
      rec.seq = Math.max(rec.seq, seq);
    }).then(() => ['queue', 'answers', 'seq'].forEach(store.remove));
  }

  /* An answer chosen now: shown at once (held), then written to the record with the next sequence
     number. The latest save for a position supersedes the older ones (the server keeps the highest
     seq). Resolves once written. */
  function record(position, response, flagged, at) {
    const shown = { r: response, f: !!flagged, s: (answers[position] || {}).s || 0 };
    held[position] = shown;
    answers[position] = shown;
    return change((rec) => {
      rec.seq = Math.max(rec.seq, on.lastSeq() || 0) + 1;
      rec.a[position] = { r: response, f: !!flagged, s: rec.seq, t: at, w: 1 };
    }).then(() => {
      if (held[position] === shown) {
        delete held[position];
        adopt(store.last);
      }
    });
  }

  function retryLater() {
    clearTimeout(link.timer);
    link.backoff = Math.min(30000, link.backoff ? link.backoff * 2 : 1000);
    link.timer = setTimeout(flush, link.backoff + Math.random() * 500);
  }

  // Sends the oldest unsent saves (every tab's); on success goes on until the queue is empty.
  async function flush() {
    if (link.sending || link.blocked || !on.canSend()) return on.status();
    link.sending = true;
    await refresh(); // the other tabs' saves too
    if (!queue.length) {
      link.sending = false;
      return on.status();
    }
    clearTimeout(link.timer);
    const batch = queue.slice(0, link.single ? 1 : BATCH);
    const body = { client_id: client, saves: batch };
    const sentEvents = on.events ? on.events.peek(4) : [];
    if (sentEvents.length) body.events = sentEvents;
    let again = false;
    try {
      const res = await api('POST', '/jawaban', body);
      if (res.ok && Array.isArray(res.data.saved)) {
        const acked = {};
        res.data.saved.forEach((a) => { acked[a.position] = a.seq; });
        await acknowledge(acked);
        if (sentEvents.length) on.events.drop(sentEvents.length);
        link.failed = false;
        link.backoff = 0;
        link.single = link.single && queue.length > 0;
        again = true;
      } else if ((res.status === 400 || res.status === 409) && DROP.indexOf(res.data.code) >= 0) {
        if (batch.length > 1) {
          link.single = true; // find the one the server refuses
        } else {
          await acknowledge({ [batch[0].position]: batch[0].seq });
          on.notice(res.data.message || on.error);
        }
        link.failed = false;
        again = true;
      } else if (res.status === 409) {
        link.failed = false;
        on.code(res.data.code, res.data.message);
      } else if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        link.failed = false;
        link.blocked = res.data.code === 'csrf_failed';
        on.notice(res.data.message || on.error);
        retryLater();
      } else {
        link.failed = true;
        retryLater();
      }
    } catch (e) {
      link.failed = true;
      retryLater();
    }
    link.sending = false;
    on.status();
    if (again && queue.length) flush();
    return undefined;
  }

  // Sends until the queue is empty, for at most limit ms; true when nothing is left waiting.
  async function drain(limit) {
    const until = Date.now() + limit;
    while (queue.length && !link.blocked && Date.now() < until) {
      await flush();
      if (queue.length) await new Promise((r) => setTimeout(r, link.failed ? 1500 : 100));
    }
    return !queue.length;
  }

  // The device is back online: send now, without waiting out the backoff.
  function online() {
    link.failed = false;
    link.backoff = 0;
    flush();
  }

  // Saves waiting for the server, counting answers chosen a moment ago whose change is not written yet.
  const waiting = () => queue.length + Object.keys(held).filter((p) => !queue.some((q) => q.position === Number(p))).length;

  return {
    adopt, refresh, settleAll, adoptOld, record, flush, drain, online, waiting,
    get answers() { return answers; },
    get queue() { return queue; },
    get failed() { return link.failed; },
    set failed(value) { link.failed = value; },
    get blocked() { return link.blocked; },
    block() { link.blocked = true; },
  };
}
