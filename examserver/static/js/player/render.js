/* The player's screen: one item at a time, the navigation grid, the status line, notices, the
   finish dialog and the display preferences. It owns the position on screen and the items on the
   device (never keys); answers come from sync.js, and choosing one calls hooks.record. */

export const $ = (id) => document.getElementById(id);
export const fmt = (text, values) => String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
export const isAnswered = (a) => !!a && a.r != null && a.r !== '' && !(Array.isArray(a.r) && !a.r.length);

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((k) => node.setAttribute(k, attrs[k]));
  if (text != null) node.textContent = text;
  return node;
}

export function notice(text) {
  const box = $('notice');
  box.textContent = text || '';
  box.hidden = !text;
}

export function lock(on) {
  Array.prototype.forEach.call(document.querySelectorAll('#item input, #flag, #finish'), (i) => { i.disabled = on; });
}

/* T: the page's texts; meta: the stored page state (count, sections, adaptive, reached);
   store: createStorage(...); sync: createSync(...); hooks: record(position, response, flagged),
   fetchOne(position) (a promise), failed() (an item could not be fetched), locked() (answers are
   closed: another device, paused or time up). */
export function createView(T, meta, store, sync, hooks) {
  const items = store.load('items', {}); // position -> item payload (no keys ever)
  let current = store.load('pos', 1);

  const count = () => meta.count || Object.keys(items).length;
  const reached = () => Math.max(meta.reached || 0, ...Object.keys(items).map(Number), 0);
  const lastReachable = () => (meta.adaptive ? Math.min(count(), reached()) : count());

  function status() {
    const line = $('net');
    const n = sync.waiting();
    let text = T.saved;
    let state = 'ok';
    if (!navigator.onLine || sync.failed) {
      text = T.offline + (n ? ' · ' + fmt(T.waiting, { n: n }) : '');
      state = 'off';
    } else if (n) {
      text = fmt(T.waiting, { n: n });
      state = 'wait';
    }
    line.textContent = text;
    line.className = 'net ' + state;
  }

  function show(position) {
    const n = count();
    if (!n) return;
    current = Math.min(Math.max(meta.adaptive ? lastReachable() : 1, position), lastReachable() || 1);
    store.keep('pos', current);
    const box = $('item');
    const item = items[current];
    box.textContent = '';
    $('prev').disabled = meta.adaptive || current <= 1;
    $('next').disabled = current >= n || (meta.adaptive && !isAnswered(sync.answers[current]));
    const mine = sync.answers[current] || {};
    $('flag').checked = !!mine.f;
    paintGrid();
    if (!item) {
      box.setAttribute('aria-busy', 'true');
      box.appendChild(el('p', {}, T.loading));
      hooks.fetchOne(current).then(() => { if (items[current]) show(current); }, () => {
        hooks.failed();
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
    if (item.kind === 'numeric') box.appendChild(numeric(mine));
    else box.appendChild(options(item, mine));
    if (hooks.locked()) lock(true);
  }

  function numeric(mine) {
    const wrap = el('p', { class: 'numeric' });
    wrap.appendChild(el('label', { for: 'answer-num' }, T.numeric_label));
    const input = el('input', { id: 'answer-num', type: 'text', inputmode: 'decimal', autocomplete: 'off', maxlength: '40' });
    input.value = mine.r == null ? '' : String(mine.r);
    let wait = 0;
    const commit = () => {
      clearTimeout(wait);
      const value = input.value.trim();
      const before = (sync.answers[current] || {}).r;
      if ((value || null) !== (before == null ? null : String(before))) hooks.record(current, value || null, $('flag').checked);
    };
    input.addEventListener('input', () => { clearTimeout(wait); wait = setTimeout(commit, 800); });
    input.addEventListener('change', commit);
    wrap.appendChild(input);
    return wrap;
  }

  function options(item, mine) {
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
    return group;
  }

  function choose(group, type) {
    const inputs = Array.prototype.slice.call(group.querySelectorAll('input'));
    inputs.forEach((i) => i.parentNode.classList.toggle('on', i.checked));
    const picked = inputs.filter((i) => i.checked).map((i) => i.value);
    const response = type === 'radio' ? picked[0] || null : picked.length ? picked.sort() : null;
    hooks.record(current, response, $('flag').checked);
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
      const a = sync.answers[p];
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

  return {
    items, count, reached, lastReachable, status, show, paintGrid, openFinish, closeFinish,
    get current() { return current; },
  };
}

// --- display preferences (shared by every exam on this device: 'ujian.font', 'ujian.contrast')
const html = document.documentElement;
let font = 0;

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

export function bindPrefs() {
  font = Number(localStorage.getItem('ujian.font') || 0) || 0;
  applyPrefs();
  $('font-down').addEventListener('click', () => setFont(-1));
  $('font-up').addEventListener('click', () => setFont(1));
  $('contrast').addEventListener('click', () => {
    const on = !html.classList.contains('hc');
    try { localStorage.setItem('ujian.contrast', on ? '1' : '0'); } catch (e) { /* session only */ }
    applyPrefs();
  });
}
