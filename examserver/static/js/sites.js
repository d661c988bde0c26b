// The sites of a sitting on the day: every few seconds (data-refresh) read this page again and put
// its board (the state of each site, the time it was read, and the release codes once the sitting
// opens) in place of this one. The server writes every number and time; nothing is posted.
(function () {
  "use strict";
  var board = document.getElementById("site-board");
  if (!board || !board.hasAttribute("data-refresh")) { return; }
  var every = (Number(board.getAttribute("data-refresh")) || 30) * 1000;
  function read() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return true; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("site-board");
        if (!fresh) { return true; }
        board.innerHTML = fresh.innerHTML;
        return fresh.hasAttribute("data-refresh");  // the day is over: stop reading
      })
      .catch(function () { return true; })  // offline for a moment: try again next time
      .then(function (again) { if (again) { setTimeout(read, every); } });
  }
  setTimeout(read, every);
})();
