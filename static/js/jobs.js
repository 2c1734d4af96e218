// The job page follows its job by itself: it asks jobs.status until the job has finished.
// Without this file the page still works: its "Refresh" link reloads it.
(function () {
  "use strict";
  var root = document.querySelector("[data-job-status-url]");
  if (!root || root.getAttribute("data-finished") === "true") { return; }

  var url = root.getAttribute("data-job-status-url");
  var progress = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var state = document.getElementById("job-state");
  var message = document.getElementById("job-message");
  var download = document.getElementById("job-download");
  var downloadLink = document.getElementById("job-download-link");
  var refreshRow = document.getElementById("job-refresh-row");
  var delay = 1000;
  var failures = 0;

  function finished(data) { return data.state === "succeeded" || data.state === "failed"; }

  function show(data) {
    progress.value = data.progress;
    progress.textContent = data.progress + "%";
    percent.textContent = data.progress + "%";
    if (state.textContent !== data.state_label) { state.textContent = data.state_label; }
    message.textContent = data.message;
    if (data.download_url) {
      downloadLink.href = data.download_url;
      download.hidden = false;
    }
    if (finished(data) && refreshRow) { refreshRow.hidden = true; }
  }

  function later() {
    delay = Math.min(Math.round(delay * 1.3), 10000);
    window.setTimeout(poll, delay);
  }

  function poll() {
    window.fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        // A failure is told by the page itself (what failed, what to do next): load it.
        if (data.state === "failed") { window.location.reload(); return; }
        show(data);
        if (!finished(data)) { later(); }
      })
      .catch(function () {
        // Keep trying, more slowly; the Refresh link stays there for the reader.
        failures += 1;
        if (failures < 20) { later(); }
      });
  }

  window.setTimeout(poll, delay);
})();
