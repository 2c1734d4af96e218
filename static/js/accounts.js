// Accounts: propose the browser's time zone on the registration form (app.js finds it).
// Without JavaScript the list simply starts at UTC; the server checks the choice anyway.
(function () {
  "use strict";
  var select = document.querySelector("select[data-detect-timezone]");
  if (!select || select.value !== "UTC" || !window.dialogueCafe) { return; }
  var option = window.dialogueCafe.browserZoneOption(select);
  if (option) { select.value = option.value; }
})();
