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

  // The option of a time-zone select that is the browser's own zone, or null.
  function resolvedZone(name) {
    try {
      return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
    } catch (error) {
      return null;
    }
  }
  function browserZoneOption(select) {
    if (!window.Intl) { return null; }
    var zone = resolvedZone(undefined);
    if (!zone || zone === "UTC" || zone === "Etc/UTC") { return null; }
    var options = select.options;
    var i;
    for (i = 0; i < options.length; i += 1) {
      if (options[i].value === zone) { return options[i]; }
    }
    // Browsers name some zones by an older name than the list (Asia/Calcutta for
    // Asia/Kolkata, Europe/Kiev for Europe/Kyiv): compare the names the browser resolves.
    for (i = 0; i < options.length; i += 1) {
      if (resolvedZone(options[i].value) === zone) { return options[i]; }
    }
    return null;
  }
  window.dialogueCafe = { browserZoneOption: browserZoneOption };

  // Settings of an account still on UTC, the default: offer the browser's zone, one click.
  var settings = document.querySelector("select[data-propose-timezone]");
  var proposed = settings && settings.value === "UTC" ? browserZoneOption(settings) : null;
  if (proposed) {
    var offer = document.createElement("button");
    offer.type = "button";
    offer.className = "button-secondary button-small timezone-offer";
    offer.textContent = settings.getAttribute("data-propose-timezone").replace("{zone}", proposed.text);
    offer.addEventListener("click", function () {
      settings.value = proposed.value;
      offer.remove();
      settings.focus();
    });
    settings.insertAdjacentElement("afterend", offer);
  }
})();
