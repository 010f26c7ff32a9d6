// The export job page: poll its JSON status and move the progress bar (no inline script:
// the CSP forbids it). Without JavaScript the page's "Refresh" link does the same.
(function () {
  var box = document.querySelector("[data-export-job]");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var state = box.querySelector("[data-export-state]");
  var count = box.querySelector("[data-export-count]");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (s) {
        state.textContent = s.state_label;
        if (s.total || s.state === "done") bar.value = s.percent;
        if (s.total) count.textContent = s.done + " of " + s.total + " rows";
        if (s.state === "done" || s.state === "failed") {
          window.location.reload(); // the page then shows the download or "Try again"
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
