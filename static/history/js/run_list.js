// The run list: keyboard navigation, the side panel, remembered columns, live filters.
(function () {
  "use strict";

  var COLUMNS_KEY = "keystroke.history.columns";

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#run-rows tr[data-run-url]")); }
  function panel() { return document.getElementById("panel"); }

  function select(row) {
    rows().forEach(function (r) { r.removeAttribute("aria-selected"); });
    if (!row) return;
    row.setAttribute("aria-selected", "true");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function selected() { return document.querySelector("#run-rows tr[aria-selected=true]"); }

  function openRow(row) {
    if (!row) return;
    select(row);
    var link = row.querySelector("[data-open-run]");
    if (window.htmx && link) window.htmx.trigger(link, "click");
    else window.location = row.dataset.runUrl;
  }

  function closePanel() {
    var p = panel();
    if (p && !p.classList.contains("page")) { p.hidden = true; p.innerHTML = ""; }
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(selected());
    select(all[Math.min(all.length - 1, Math.max(0, index + step))] || all[0]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.target.closest("input, select, textarea") || event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "Enter" && selected()) openRow(selected());
    else if (event.key === "Escape") closePanel();
    else return;
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-panel]")) {
      if (panel().classList.contains("page")) window.location = "/history/";
      else closePanel();
      return;
    }
    var row = event.target.closest("#run-rows tr[data-run-url]");
    if (row && !event.target.closest("a, button, input")) openRow(row);
    else if (row) select(row);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
    if (form.matches("[data-filters]")) {
      // Shareable URLs: only the filters that are set.
      event.preventDefault();
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { if (value) params.append(key, value); });
      var query = params.toString();
      window.location = form.action + (query ? "?" + query : "");
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === panel()) panel().hidden = false;
    if (event.detail.target.closest && event.detail.target.closest("tr.more")) {
      document.getElementById("run-rows").dataset.extended = "true";
    }
    var current = panel() && panel().querySelector("[data-run]");
    if (current) {
      rows().forEach(function (r) { r.classList.toggle("open", r.dataset.runUrl.indexOf(current.dataset.run) !== -1); });
    }
    applyColumns();
  });

  // Live refresh of the first page stops once older pages were appended below it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var body = document.getElementById("run-rows");
    if (event.detail.elt === body && body.dataset.extended) event.preventDefault();
  });

  function shownColumns() {
    try { return JSON.parse(localStorage.getItem(COLUMNS_KEY)); } catch (e) { return null; }
  }

  function applyColumns() {
    var shown = shownColumns();
    document.querySelectorAll("[data-column-toggle]").forEach(function (box) {
      var key = box.dataset.columnToggle;
      var visible = shown ? shown.indexOf(key) !== -1 || key === "name" : box.defaultChecked;
      box.checked = visible;
      document.querySelectorAll('[data-col="' + key + '"]').forEach(function (cell) { cell.hidden = !visible; });
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-column-toggle]")) {
      var keys = Array.prototype.filter.call(document.querySelectorAll("[data-column-toggle]"), function (b) { return b.checked; })
        .map(function (b) { return b.dataset.columnToggle; });
      localStorage.setItem(COLUMNS_KEY, JSON.stringify(keys));
      applyColumns();
    } else if (event.target.closest("[data-filters]") && event.target.type !== "search" && event.target.type !== "text") {
      event.target.form.requestSubmit();
    }
  });

  document.addEventListener("DOMContentLoaded", applyColumns);
})();
