// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // -- where the keyboard starts after a save --------------------------------------------
  // The page says what happened and focus starts there, never on the page's body: the field
  // the address names (a problem's link from the check page), else the error summary, else
  // the flash message ("Saved at 10:42."). Each error's link puts focus on its field.
  function controlOf(target) {
    if (!target) { return null; }
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) { return target; }
    // A group of choices (a fieldset of radios, the list WTForms renders): its first one.
    if (!/^(FIELDSET|UL)$/.test(target.tagName)) { return null; }
    return target.querySelector("input:not([type=hidden]), select, textarea");
  }
  function focusField(id) {
    var control = controlOf(id ? document.getElementById(id) : null);
    if (!control || control.disabled) { return false; }
    control.focus();
    var label = document.querySelector("label[for='" + control.id + "']");
    var group = control.closest ? control.closest("fieldset") : null;
    var legend = group ? group.querySelector("legend") : null;
    (label || legend || control).scrollIntoView({ block: "center" });
    return true;
  }
  function idInHash(hash) {
    try { return decodeURIComponent((hash || "").replace(/^#/, "")); } catch (error) { return ""; }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (link && focusField(idInHash(link.getAttribute("href")))) { event.preventDefault(); }
  });
  // A form sent from the last page: with nothing else to tell, the page's heading has focus.
  var SENT = "dcc-form-sent";
  var sent = null;
  try {
    sent = window.sessionStorage.getItem(SENT);
    window.sessionStorage.removeItem(SENT);
  } catch (error) { /* no storage: the flash message and error summary still get focus */ }
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }
    try { window.sessionStorage.setItem(SENT, "1"); } catch (error) { /* see above */ }
  });
  if (!focusField(idInHash(window.location.hash))) {
    var told = document.querySelector(".error-summary:not([hidden])") ||
      document.querySelector(".flashes") || (sent ? document.querySelector("main h1") : null);
    if (told) {
      if (!told.hasAttribute("tabindex")) { told.setAttribute("tabindex", "-1"); }
      told.focus();
    }
  }

  // A typed answer takes the direction of its language; an empty field keeps the page's
  // (dir=auto alone would turn an empty field of an Arabic page left to right).
  document.querySelectorAll("[data-text-direction=auto]").forEach(function (field) {
    function follow() {
      if (field.value) { field.dir = "auto"; } else { field.removeAttribute("dir"); }
    }
    field.addEventListener("input", follow);
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
