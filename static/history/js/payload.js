// Payload boxes: JSON/YAML toggle, syntax highlighting and a Copy button that copies
// exactly the text shown. Works on the page as loaded and on every htmx swap.
(function () {
  "use strict";

  function highlight(root) {
    if (!window.hljs) return;
    root.querySelectorAll("[data-payload] code:not([data-highlighted])").forEach(function (code) {
      if (code.textContent.length < 200000) window.hljs.highlightElement(code);
    });
  }

  function visibleCode(box) {
    var pre = Array.prototype.find.call(box.querySelectorAll("pre"), function (p) { return !p.hidden; });
    return pre ? pre.querySelector("code") : null;
  }

  function showFormat(box, format) {
    box.querySelectorAll("pre").forEach(function (pre) {
      pre.hidden = pre.querySelector("code").dataset.format !== format;
    });
    box.querySelectorAll("[data-format]").forEach(function (button) {
      if (button.tagName === "BUTTON") button.setAttribute("aria-pressed", String(button.dataset.format === format));
    });
  }

  function copy(box, button) {
    var code = visibleCode(box);
    if (!code) return;
    navigator.clipboard.writeText(code.textContent).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    }, function () {
      button.textContent = "Copy failed";
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-payload] button");
    if (!button) return;
    var box = button.closest("[data-payload]");
    if (button.hasAttribute("data-copy")) copy(box, button);
    else if (button.dataset.format) showFormat(box, button.dataset.format);
  });

  document.addEventListener("DOMContentLoaded", function () { highlight(document); });
  document.addEventListener("htmx:afterSwap", function (event) { highlight(event.target); });
  document.addEventListener("htmx:oobAfterSwap", function () { highlight(document); });
})();
