// The compare page: each payload diff's JSON/YAML toggle shows one side-by-side table.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-diff] button[data-format]");
    if (!button) return;
    var box = button.closest("[data-diff]"), format = button.dataset.format;
    box.querySelectorAll("table.side-by-side").forEach(function (table) {
      table.hidden = table.dataset.format !== format;
    });
    box.querySelectorAll("button[data-format]").forEach(function (other) {
      other.setAttribute("aria-pressed", String(other.dataset.format === format));
    });
  });
})();
