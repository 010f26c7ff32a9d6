// The round page while its votes are counted: reload every few seconds until the count is
// done or failed (no inline script: the CSP forbids it). Without JavaScript the page's
// "Refresh this page" link does the same.
(function () {
  if (!document.querySelector("[data-count-progress]")) return;
  window.setTimeout(function () { window.location.reload(); }, 3000);
})();
