/* Small progressive enhancements; the pages work without this file. */
(function () {
  "use strict";
  // Prevent double submits on slow networks: disable the button once a form is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-get") || form.hasAttribute("hx-post")) return;
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      if (event.defaultPrevented) return; // a check on the page stopped this submit
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
})();

/* The print button on the rectification notice (no inline script under our CSP). */
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
