/* A "print" button on pages meant for paper (the result certificate): shown only where this script
   runs, it opens the browser's print dialogue. From a file, not an inline handler, so the page's
   Content-Security-Policy (script-src 'self') allows it. The print stylesheet (app.css) leaves out
   the header, footer and the button itself. */
'use strict';
(function () {
  document.querySelectorAll('[data-print]').forEach((button) => {
    button.hidden = false;
    button.addEventListener('click', () => window.print());
  });
})();
