// Accounts: prefill the time zone from the browser on the registration form.
// Without JavaScript the list simply starts at UTC; the server checks the choice anyway.
(function () {
  "use strict";
  var select = document.querySelector("select[data-detect-timezone]");
  if (!select || select.value !== "UTC" || !window.Intl) { return; }
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) { return; }
  for (var i = 0; i < select.options.length; i += 1) {
    if (select.options[i].value === zone) {
      select.value = zone;
      return;
    }
  }
})();
