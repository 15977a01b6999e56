// Charts: any <canvas data-chart='{"type":…,"data":…}'> is drawn with the vendored Chart.js.
// (No inline scripts: the Content-Security-Policy allows scripts from our own files only.)
function rectifyDrawCharts(root) {
  if (typeof Chart === "undefined") return;
  root.querySelectorAll("canvas[data-chart]").forEach(function (el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = "1";
    new Chart(el, JSON.parse(el.dataset.chart));
  });
}
document.addEventListener("DOMContentLoaded", function () { rectifyDrawCharts(document); });
document.addEventListener("htmx:afterSwap", function (e) { rectifyDrawCharts(e.target); });
// Confirm dangerous buttons: <button data-confirm="…">
document.addEventListener("click", function (e) {
  var el = e.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) { e.preventDefault(); e.stopPropagation(); }
});
// Print buttons: <button data-print>
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) { window.print(); }
});
