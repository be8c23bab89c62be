/* Living Map: small progressive enhancements (the pages work without this file).
   Moves focus to the error summary when a form comes back with problems, as GOV.UK does. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-lm-error-summary]");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
})();
