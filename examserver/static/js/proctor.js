// Live room: poll the room's JSON every 5 s and update the table cells in place.
(function () {
  "use strict";
  var table = document.getElementById("room");
  if (!table) { return; }
  var text = JSON.parse(table.getAttribute("data-text"));
  var updated = document.getElementById("room-updated");
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }
  function cell(row, name) { return row.querySelector('[data-field="' + name + '"]'); }
  function render(data) {
    data.rows.forEach(function (r) {
      var row = table.querySelector('tr[data-session="' + r.id + '"]');
      if (!row) { return; }
      cell(row, "status").textContent = (text[r.status] || r.status) + (r.paused ? " (" + text.paused + ")" : "");
      cell(row, "seen").textContent = r.seen_seconds_ago === null ? "-" : fill(text.ago, { n: r.seen_seconds_ago });
      cell(row, "answered").textContent = r.answered + "/" + r.items;
      cell(row, "remaining").textContent = r.remaining_minutes === null ? "-" : r.remaining_minutes;
      var away = cell(row, "away");
      away.textContent = fill(text.away, { n: r.focus_losses, s: r.seconds_away });
      away.className = r.focus_losses ? "bad" : "";
      cell(row, "last").textContent = (r.last_event_label || "-") +
        (r.dropped_events ? " (" + fill(text.dropped, { n: r.dropped_events }) + ")" : "");
    });
    updated.textContent = new Date().toLocaleTimeString();
  }
  function poll() {
    fetch(table.getAttribute("data-source"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* offline for a moment: try again next tick */ })
      .then(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 5000);
})();
