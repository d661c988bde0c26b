/* Start (or resume) the exam: POST the start request, then open the player. */
'use strict';
(function () {
  const form = document.getElementById('start-form');
  if (!form) return;
  const message = document.getElementById('start-message');
  const pin = document.getElementById('pin');
  const button = form.querySelector('button[type="submit"]');
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  let retry = 0;

  // The start's answer is the state the player asks for first: handed to the player's page (this tab
  // only, read once, for 30 s: player.js handedOver), which then does not ask the server again.
  function handOver(data, started, ended) {
    try {
      sessionStorage.setItem('ujian-mulai-' + form.dataset.session, JSON.stringify({
        device: form.dataset.device, started: started, ended: ended, data: data,
      }));
    } catch (e) { /* no storage: the player asks the server */ }
  }

  async function start() {
    clearTimeout(retry);
    button.disabled = true;
    try {
      const started = Date.now();
      const response = await fetch(form.dataset.api, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrf },
        body: JSON.stringify({ client_id: form.dataset.device, pin: pin ? pin.value.trim() : null }),
      });
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      if (response.ok) {
        handOver(data, started, Date.now());
        location.assign(form.dataset.player);
        return;
      }
      message.textContent = data.message || form.dataset.offline;
      if (data.code === 'awaiting_authorisation') retry = setTimeout(start, 10000);
      if (data.code === 'pin_wrong' && pin) pin.focus();
    } catch (e) {
      message.textContent = form.dataset.offline;
    }
    button.disabled = false;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start();
  });
}());
