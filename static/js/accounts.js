// Accounts: propose the browser's time zone on the registration form.
// Without JavaScript the list simply starts at UTC; the server checks the choice anyway.
(function () {
  "use strict";
  var select = document.querySelector("select[data-detect-timezone]");
  if (!select || select.value !== "UTC" || !window.Intl) { return; }

  function resolved(name) {
    try {
      return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
    } catch (error) {
      return null;
    }
  }

  var zone = resolved(undefined);
  if (!zone || zone === "UTC" || zone === "Etc/UTC") { return; }
  var options = select.options;
  var i;
  for (i = 0; i < options.length; i += 1) {
    if (options[i].value === zone) {
      select.value = zone;
      return;
    }
  }
  // Browsers name some zones by an older name than the list (Asia/Calcutta for
  // Asia/Kolkata, Europe/Kiev for Europe/Kyiv): compare the names the browser resolves.
  for (i = 0; i < options.length; i += 1) {
    if (resolved(options[i].value) === zone) {
      select.value = options[i].value;
      return;
    }
  }
})();
