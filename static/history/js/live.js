// A run that has not ended is refreshed in place: every few seconds the page asks for its
// header and, on the Steps tab, the step rows it does not have as they are now; rows it has,
// with their payloads and open <details>, stay untouched. Hook forms are sent again only when
// the hooks waiting changed, so what an operator is typing stays.
(function () {
  document.addEventListener("htmx:configRequest", function (event) {
    var poller = event.detail.elt;
    if (!poller.hasAttribute || !poller.hasAttribute("data-live")) return;
    var panel = poller.closest("article.run") || document;
    var rows = [];
    panel.querySelectorAll("[data-step-state]").forEach(function (row) {
      rows.push(row.id.replace("step-", "") + ":" + row.dataset.stepState);
    });
    event.detail.parameters.rows = rows.join(",");
    var hooks = panel.querySelector("#hook-forms");
    if (hooks) event.detail.parameters.hooks = hooks.dataset.openHooks;
  });
  // A closed side panel asks for nothing, so a run that ends does not open it again.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var poller = event.detail.elt;
    if (poller.hasAttribute && poller.hasAttribute("data-live") && poller.closest("[hidden]:not([data-live])")) {
      event.preventDefault();
    }
  });
})();
