// The board editor (ADR 027):
// - the preview: the TV page in a frame of the chosen screen's size, scaled down by the CSS
//   (.preview[data-size]); the frame lays itself out as that TV would;
// - a new TV link's address, copied by its button;
// - revoking a TV link asks first (forms with data-confirm; the list is swapped every 10 s,
//   so the listener is on the document).
(function () {
  "use strict";
  var select = document.getElementById("preview-size");
  var preview = select && select.closest(".preview");
  if (preview) select.addEventListener("change", function () { preview.dataset.size = select.value; });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("button[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.dataset.copy);
    function copied() { button.textContent = button.dataset.copied; }
    function byCommand() { if (document.execCommand("copy")) copied(); } // the text stays selected
    input.select();
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(copied, byCommand);
    else byCommand();
  });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) evt.preventDefault();
  });
})();
