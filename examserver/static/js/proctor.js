// Live room: every 5 s ask the server for the rows that changed since its last answer (the token
// it gave) and update those rows in place; between their updates the other rows' clocks (last
// seen, minutes left) run on here. Without a token, or when it is too old, the server sends every row.
(function () {
  "use strict";
  var table = document.getElementById("room");
  if (!table) { return; }
  var text = JSON.parse(table.getAttribute("data-text"));
  var updated = document.getElementById("room-updated");
  var token = table.getAttribute("data-token") || "";
  // Per session: its row, what the server last said of its clocks, and when that arrived here.
  var clocks = {};
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }
  function cell(row, name) { return row.querySelector('[data-field="' + name + '"]'); }
  function number(value) { return value === "" || value === null || value === undefined ? null : Number(value); }
  function seconds() { return Date.now() / 1000; }
  // Minutes to a tenth in the page's language, as the server writes them: 12,5 in Indonesian.
  var tenths = new Intl.NumberFormat(document.documentElement.lang || "id",
    { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat(document.documentElement.lang || "id", { maximumFractionDigits: 0 });
  // How long ago, in the largest whole unit, as the page's first rendering writes it (room.html).
  function ago(seconds) {
    var units = [[86400, text.ago_days], [3600, text.ago_hours], [60, text.ago_minutes]];
    for (var i = 0; i < units.length; i++) {
      if (seconds >= units[i][0]) { return fill(units[i][1], { n: whole.format(Math.floor(seconds / units[i][0])) }); }
    }
    return fill(text.ago, { n: whole.format(Math.round(seconds)) });
  }
  function remember(row, seen, remaining, running) {
    clocks[row.getAttribute("data-session")] = {
      row: row, seen: seen, remaining: remaining, running: running, at: seconds()
    };
  }
  function tick() {
    var now = seconds();
    Object.keys(clocks).forEach(function (id) {
      var clock = clocks[id];
      var elapsed = now - clock.at;
      cell(clock.row, "seen").textContent = clock.seen === null ? "-" : ago(clock.seen + elapsed);
      var left = clock.remaining;
      if (left !== null && clock.running) { left = Math.max(0, left - elapsed / 60); }
      cell(clock.row, "remaining").textContent = left === null ? "–" : tenths.format(left);
    });
  }
  function render(data) {
    var missing = false;
    data.rows.forEach(function (r) {
      var row = table.querySelector('tr[data-session="' + r.id + '"]');
      if (!row) { missing = true; return; }
      cell(row, "status").textContent = (text[r.status] || r.status) + (r.paused ? " (" + text.paused + ")" : "");
      cell(row, "answered").textContent = r.answered + "/" + r.items;
      var away = cell(row, "away");
      away.textContent = fill(text.away, { n: whole.format(r.focus_losses), s: whole.format(r.seconds_away) });
      away.className = r.focus_losses ? "bad" : "";
      cell(row, "last").textContent = (r.last_event_label || "-") +
        (r.dropped_events ? " (" + fill(text.dropped, { n: r.dropped_events }) + ")" : "");
      remember(row, r.seen_seconds_ago, r.remaining_minutes, r.status === "in_progress" && !r.paused);
    });
    if (missing) { window.location.reload(); return; }  // a candidate enrolled since the page loaded
    token = data.token || "";
    tick();
    // In WIB with the zone named, as every time on the server's pages; not the device's own zone.
    updated.textContent = new Date().toLocaleTimeString(document.documentElement.lang || "id",
      { timeZone: "Asia/Jakarta", hour: "2-digit", minute: "2-digit", second: "2-digit" }) + " WIB";
  }
  function poll() {
    var url = table.getAttribute("data-source") + (token ? "?sejak=" + encodeURIComponent(token) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* offline for a moment: try again next tick, with the same token */ })
      .then(function () { setTimeout(poll, 5000); });
  }
  table.querySelectorAll("tr[data-session]").forEach(function (row) {
    remember(row, number(row.getAttribute("data-seen")), number(row.getAttribute("data-remaining")),
      row.getAttribute("data-running") === "1");
  });
  setTimeout(poll, 5000);
})();
