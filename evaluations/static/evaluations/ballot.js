// Ballot codes arrive in the URL fragment (/v/#CODE), which the browser never sends to the server.
// Read it, wipe it from the address bar and the history, and POST it with the form.
(function () {
  function start() {
    var form = document.getElementById("code-form");
    if (!form) return;
    var hash = window.location.hash;
    if (hash && hash.length > 1) {
      var code = decodeURIComponent(hash.slice(1));
      history.replaceState(null, "", window.location.pathname);
      form.querySelector("input[name=code]").value = code;
      form.classList.add("submitting");
      form.submit();
    }
  }
  // Grid ballot: the “same for all” row gives one grade to every question of its grid.
  function grids() {
    document.querySelectorAll("#ballot-form tr.same-for-all").forEach(function (row) { row.hidden = false; });
  }
  document.addEventListener("click", function (e) {
    if (!e.target.closest) return;
    // a tap anywhere in a grade's cell chooses it (not only on the small circle)
    var cell = e.target.closest("table.ballot-grid td");
    if (cell && !e.target.closest("label, input, button")) {
      var radio = cell.querySelector("input[type=radio]");
      if (radio) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return;
    }
    var button = e.target.closest("button.same");
    if (!button) return;
    var table = button.closest("table");
    table.querySelectorAll("tbody input[type=radio][value='" + button.dataset.grade + "']").forEach(function (r) {
      r.checked = true;
    });
    table.dispatchEvent(new Event("change", { bubbles: true }));
  });
  function ready() { start(); grids(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  // Ballot page: show how many questions are still unanswered next to the submit button.
  document.addEventListener("change", function () {
    var ballot = document.getElementById("ballot-form");
    if (!ballot) return;
    var names = {};
    ballot.querySelectorAll("input[type=radio]").forEach(function (r) { names[r.name] = names[r.name] || r.checked; });
    var left = Object.keys(names).filter(function (n) { return !names[n]; }).length;
    var out = document.getElementById("left");
    if (out) out.textContent = left ? out.dataset.template.replace("{n}", left) : "";
  });
})();
