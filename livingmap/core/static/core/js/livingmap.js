/* Living Map: small progressive enhancements (the pages work without this file). */
(function () {
  "use strict";

  // Move focus to the error summary when a form comes back with problems, as GOV.UK does.
  var summary = document.querySelector("[data-lm-error-summary]");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }

  // The GOV.UK service navigation's Menu button: on a small screen the site menu folds behind
  // it; on a wider one the button hides and every link shows. Without this script the button
  // stays hidden and every link shows.
  var toggle = document.querySelector(".govuk-js-service-navigation-toggle");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu || !window.matchMedia) {
    return;
  }
  var narrow = window.matchMedia("(max-width: 40.0525em)");
  var open = false;
  function show() {
    if (narrow.matches) {
      toggle.hidden = false;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.hidden = !open;
    } else {
      toggle.hidden = true;
      toggle.removeAttribute("aria-expanded");
      menu.hidden = false;
    }
  }
  toggle.addEventListener("click", function () {
    open = !open;
    show();
  });
  if (narrow.addEventListener) {
    narrow.addEventListener("change", show);
  } else if (narrow.addListener) {
    narrow.addListener(show);
  }
  show();
})();
