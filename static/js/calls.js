// Calls: show instants in the visitor's own time zone, and confirm removals.
// Progressive enhancement only: without this file the page shows UTC and removes at once.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  // The server's one shape of a moment (app/core/i18n.py format_when): the day, then the
  // time and the zone ("Fri, July 31, 2026, 4:00 PM BST"), so a deadline reads like every
  // other date of the site.
  var day = { weekday: "short", year: "numeric", month: "long", day: "numeric" };
  var clock = { hour: "numeric", minute: "2-digit", timeZoneName: "short" };
  document.querySelectorAll("time[data-localise]").forEach(function (element) {
    var instant = new Date(element.getAttribute("datetime"));
    if (isNaN(instant.getTime())) { return; }
    try {
      var formatted = new Intl.DateTimeFormat(lang, day).format(instant) + ", " +
        new Intl.DateTimeFormat(lang, clock).format(instant);
      element.setAttribute("title", element.textContent.trim());
      element.textContent = formatted;
    } catch (error) {
      // An old browser without Intl time zones keeps the UTC text from the server.
    }
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
