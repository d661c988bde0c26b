/* The server owns the time: every API answer carries server_time and remaining_seconds, and the
   deadline is set on the device's clock from the midpoint of the request (so a wrong device clock
   does not matter). The clock keeps meta.clock {deadline, offset, paused, left} for a reload while
   offline, and calls onTimeUp() once when the time runs out while running. */

const parseTime = (iso) => Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1'));
const pad = (n) => (n < 10 ? '0' : '') + n;

// meta: the stored page state (meta.clock lives there); save(): store meta; display: the clock element;
// live(): false once the page is leaving.
export function createClock(meta, save, display, live, onTimeUp) {
  const state = { deadline: null, left: 0, paused: false, timeUp: false }; // deadline on the device's clock (ms)

  function tick() {
    if (state.deadline == null) return;
    const left = Math.max(0, state.paused ? state.left : state.deadline - Date.now());
    const s = Math.ceil(left / 1000);
    const h = Math.floor(s / 3600);
    display.textContent = (h ? h + ':' + pad(Math.floor(s / 60) % 60) : pad(Math.floor(s / 60))) + ':' + pad(s % 60);
    display.classList.toggle('low', s <= 300);
    if (left <= 0 && !state.paused && !state.timeUp && live()) {
      state.timeUp = true;
      onTimeUp();
    }
  }

  // An API answer: data.server_time and data.remaining_seconds, the request sent at started, answered at ended.
  function sync(data, started, ended) {
    if (!data || !data.server_time || typeof data.remaining_seconds !== 'number') return;
    const mid = (started + ended) / 2;
    const server = parseTime(data.server_time);
    if (isNaN(server)) return;
    const offset = server - mid;
    state.deadline = mid + data.remaining_seconds * 1000;
    state.left = data.remaining_seconds * 1000;
    meta.clock = { deadline: server + data.remaining_seconds * 1000, offset: offset, paused: state.paused, left: state.left };
    save();
    tick();
  }

  function restore() {
    const c = meta.clock;
    if (!c) return;
    state.deadline = c.deadline - c.offset;
    state.paused = !!c.paused;
    state.left = c.left || 0;
  }

  const serverNow = () => new Date(Date.now() + ((meta.clock && meta.clock.offset) || 0)).toISOString();

  return {
    tick, sync, restore, serverNow,
    get deadline() { return state.deadline; }, // on the device's clock (ms), null before the first answer
    get paused() { return state.paused; },
    set paused(value) { state.paused = value; },
    get timeUp() { return state.timeUp; },
    set timeUp(value) { state.timeUp = value; },
  };
}
