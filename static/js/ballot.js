/* Progressive enhancement for knapsack ballots: a live running total. The server checks
   everything again; without this script the page works the same. */
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  var out = document.getElementById("running-total");
  if (!form || !out) { return; }
  var budget = parseInt(form.getAttribute("data-budget"), 10);
  function pounds(pence) {
    var whole = Math.floor(pence / 100), part = pence % 100;
    return "\u00a3" + whole.toLocaleString("en-GB") + (part ? "." + (part < 10 ? "0" : "") + part : "");
  }
  function update() {
    var total = 0;
    var boxes = form.querySelectorAll("input[name=choice]:checked");
    for (var i = 0; i < boxes.length; i++) { total += parseInt(boxes[i].getAttribute("data-cost"), 10); }
    out.hidden = false;
    out.textContent = "You have chosen " + pounds(total) + " of " + pounds(budget) + "." +
      (total > budget ? " That is " + pounds(total - budget) + " more than the pot: remove a proposal." : "");
    out.className = total > budget ? "error" : "hint";
  }
  form.addEventListener("change", update);
  update();
})();
