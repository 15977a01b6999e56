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
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
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
