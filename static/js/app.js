// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // A list folded on a phone (the sections of a proposal) stays open on a wide screen,
  // where it sits beside the form; the same width as app.css's narrow layout.
  var wide = window.matchMedia ? window.matchMedia("(min-width: 48.01rem)") : null;
  var folded = document.querySelectorAll("details[data-open-wide]");
  function follow() {
    folded.forEach(function (details) { details.open = Boolean(wide && wide.matches); });
  }
  if (wide && folded.length) {
    follow();
    if (wide.addEventListener) { wide.addEventListener("change", follow); }
  }
})();
