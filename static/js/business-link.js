/* Staff's controls on a business link: copy it (the clipboard when allowed, else the text is
   selected for the person to copy), and ask before revoking or replacing it. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-link]");
    if (!button) return;
    var box = button.closest(".copy-link");
    var input = box.querySelector("[data-copy-source]");
    var status = box.querySelector("[data-copy-status]");
    function selectIt() {
      input.focus();
      input.select();
      input.setSelectionRange(0, input.value.length);
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      status.textContent = copied ? button.dataset.msgCopied : button.dataset.msgSelect;
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        status.textContent = button.dataset.msgCopied;
      }, selectIt);
    } else {
      selectIt();
    }
  });
  document.addEventListener("submit", function (event) {
    var button = event.submitter || event.target.querySelector("[data-confirm]");
    if (button && button.dataset && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
