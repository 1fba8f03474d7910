// Times come from the server in UTC with seconds; show them in the browser's time zone,
// keeping the UTC ISO value in the title for hover. Runs again after every htmx swap.
(function () {
  function localize(root) {
    root.querySelectorAll("time[data-precision]:not([data-local])").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var options = {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
      };
      if (el.dataset.precision === "ms") options.fractionalSecondDigits = 3;
      el.textContent = when.toLocaleString(undefined, options);
      el.dataset.local = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:afterSwap", function (event) { localize(event.target); });
  // Parts swapped in out of band (a live header, new step rows) are not the swap's target.
  document.addEventListener("htmx:oobAfterSwap", function () { localize(document); });
})();
