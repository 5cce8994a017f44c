// The board editor's preview (ADR 027): the TV page in a frame of the chosen screen's size,
// scaled down by the CSS (.preview[data-size]); the frame lays itself out as that TV would.
(function () {
  "use strict";
  var select = document.getElementById("preview-size");
  var preview = select && select.closest(".preview");
  if (!preview) return;
  select.addEventListener("change", function () { preview.dataset.size = select.value; });
})();
