/* The few behaviours HTMX attributes cannot express. A file, not inline code: the
   Content-Security-Policy allows scripts from this origin only. */
(function () {
  "use strict";

  // Upload progress: the <progress> of the form that sends files follows the bytes sent.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    var bar = form ? form.querySelector("progress.upload-progress") : null;
    if (!bar || !event.detail.lengthComputable) { return; }
    bar.max = event.detail.total;
    bar.value = event.detail.loaded;
  });

  // A region replaced after an action takes the focus, so keyboard and screen-reader
  // users land on the new state (status, message) rather than on a removed button.
  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.detail.elt;
    if (region && region.hasAttribute && region.hasAttribute("data-focus-after-swap")) {
      region.focus({ preventScroll: false });
    }
  });
})();
