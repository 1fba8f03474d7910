// The run list's selection: Compare for exactly two ticked rows (everyone), bulk cancel and retry
// of rows or of every run matching the filter (operators); and the job page's Stop, which asks
// first.
(function () {
  "use strict";

  function form() { return document.querySelector("[data-bulk]"); }
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("[data-select-run]")); }
  function picked() { return boxes().filter(function (box) { return box.checked; }); }

  function update() {
    var bar = form();
    if (!bar) return;
    var all = boxes(), chosen = picked();
    var page = document.querySelector("[data-select-page]");
    var everything = bar.querySelector("[data-select-all]");
    var wholePage = all.length > 0 && chosen.length === all.length;
    bar.querySelector("[data-compare]").disabled = chosen.length !== 2;
    if (page) {  // operators only: a viewer's list has no bulk actions
      page.checked = wholePage;
      page.indeterminate = chosen.length > 0 && !wholePage;
      // "All N runs matching this filter" is offered once the whole page is selected.
      bar.querySelector("[data-select-all-choice]").hidden = !wholePage;
      if (!wholePage) everything.checked = false;
    }
    var allMatching = Boolean(everything && everything.checked);
    bar.querySelector("[data-selected-count]").textContent = allMatching
      ? "All runs matching this filter selected"
      : chosen.length ? chosen.length + " selected" : "No runs selected";
    bar.querySelectorAll("[data-bulk-action]").forEach(function (button) {
      button.disabled = !chosen.length && !allMatching;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-page]")) {
      boxes().forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.matches("[data-select-page], [data-select-run], [data-select-all]")) update();
  });

  // A live refresh would drop the selection, so the list holds still while runs are selected.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "run-rows" && picked().length) event.preventDefault();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-bulk-stop]") && !window.confirm(form.dataset.bulkStop)) event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", update);
  document.addEventListener("DOMContentLoaded", update);
})();
