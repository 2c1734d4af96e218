// Calls: show instants in the visitor's own time zone, and confirm removals.
// Progressive enhancement only: without this file the page shows UTC and removes at once.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var options = {
    weekday: "long", year: "numeric", month: "long", day: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "long"
  };
  document.querySelectorAll("time[data-localise]").forEach(function (element) {
    var instant = new Date(element.getAttribute("datetime"));
    if (isNaN(instant.getTime())) { return; }
    try {
      var formatted = new Intl.DateTimeFormat(lang, options).format(instant);
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
