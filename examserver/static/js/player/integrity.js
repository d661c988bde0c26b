/* Browser integrity events for the proctoring log: {kind, at, duration_ms, position}. They are kept
   on the device (the last 200) and ride along with the next saves (sync.js peeks and drops them). */

// store: createStorage(...); serverNow(): ISO time on the server's clock; position(): the item on screen.
export function createIntegrity(store, serverNow, position) {
  let events = store.load('events', []);
  let hiddenSince = document.hidden ? Date.now() : 0;
  let offlineSince = 0;

  function note(kind, since) {
    const event = { kind: kind, at: serverNow(), position: position() };
    if (since) event.duration_ms = Date.now() - since;
    events.push(event);
    events = events.slice(-200);
    store.keep('events', events);
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      hiddenSince = hiddenSince || Date.now();
    } else if (hiddenSince) {
      // Shorter than a second is a flicker (a notification shade), not leaving the exam.
      if (Date.now() - hiddenSince >= 1000) note('focus_lost', hiddenSince);
      hiddenSince = 0;
    }
  });
  window.addEventListener('offline', () => { offlineSince = Date.now(); note('offline'); });
  window.addEventListener('online', () => { note('online', offlineSince); offlineSince = 0; });

  return {
    peek: (n) => events.slice(0, n),
    drop(n) {
      events = events.slice(n);
      store.keep('events', events);
    },
  };
}
