// "Copy as Markdown" in a run's header: fetches the run as Markdown and puts it on the
// clipboard. Delegated from the document, so headers swapped in by htmx work too.
(function () {
  "use strict";

  var LABEL = "Copy as Markdown";

  function say(button, text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = LABEL; }, 1500);
  }

  function copy(button) {
    fetch(button.dataset.copyMarkdown, { credentials: "same-origin", headers: { Accept: "text/markdown" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (text) { return navigator.clipboard.writeText(text); })
      .then(function () { say(button, "Copied"); }, function () { say(button, "Copy failed"); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy-markdown]");
    if (button) copy(button);
  });
})();
