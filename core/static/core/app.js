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
// <form data-autosubmit>: submit when a select changes (the campaign switcher).
document.addEventListener("change", function (e) {
  var form = e.target.closest("form[data-autosubmit]");
  if (form && e.target.tagName === "SELECT") { form.submit(); }
});
// Bulk actions: <input type="checkbox" data-check-all="NAME"> ticks every checkbox named NAME in its form.
document.addEventListener("change", function (e) {
  var name = e.target.dataset && e.target.dataset.checkAll;
  if (!name) return;
  var form = e.target.form || document;
  form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) { box.checked = e.target.checked; });
});
// <… data-selected-count="NAME" hidden><output></output></…>: how many NAME checkboxes of its form are ticked.
function rectifyCountSelected(root) {
  root.querySelectorAll("[data-selected-count]").forEach(function (el) {
    var form = el.closest("form") || document;
    var boxes = form.querySelectorAll('input[type="checkbox"][name="' + el.dataset.selectedCount + '"]');
    el.querySelector("output").textContent = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
    el.hidden = false;
  });
}
document.addEventListener("DOMContentLoaded", function () { rectifyCountSelected(document); });
document.addEventListener("htmx:afterSwap", function () { rectifyCountSelected(document); });
document.addEventListener("change", function (e) { if (e.target.type === "checkbox") rectifyCountSelected(document); });
// Person picker: a click on a search hit fills the hidden input and shows the chosen person.
document.addEventListener("click", function (e) {
  var hit = e.target.closest("[data-pick-person]");
  if (!hit) return;
  e.preventDefault();
  var picker = hit.closest(".person-picker");
  picker.querySelector('input[type="hidden"]').value = hit.dataset.pickPerson;
  picker.querySelector(".person-picker-chosen").textContent = hit.dataset.pickLabel;
  picker.querySelector(".person-picker-hits").innerHTML = "";
  picker.querySelector('input[type="search"]').value = "";
});
// Fields a choice needs: <… data-show-if="action=accept merge"> is shown only while its form's field
// "action" has one of the listed values; hidden, its inputs are disabled (not sent). Without JavaScript
// everything stays visible and the server checks what each choice needs.
function rectifyShowIf(root) {
  root.querySelectorAll("[data-show-if]").forEach(function (el) {
    var rule = el.dataset.showIf.split("="), form = el.closest("form");
    var field = form && form.elements[rule[0]];
    if (!field) return;
    var show = rule[1].split(" ").indexOf(field.value) !== -1;
    el.hidden = !show;
    el.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !show; });
  });
}
document.addEventListener("DOMContentLoaded", function () { rectifyShowIf(document); });
document.addEventListener("htmx:afterSwap", function () { rectifyShowIf(document); });
document.addEventListener("change", function (e) { if (e.target.tagName === "SELECT") rectifyShowIf(document); });
