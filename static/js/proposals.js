// The proposal form: autosave, unsent text kept in this browser, character counters.
// Progressive enhancement only: without this file the Save button does everything.
(function () {
  "use strict";

  var messagesElement = document.getElementById("autosave-messages");
  var messages = messagesElement ? JSON.parse(messagesElement.textContent) : {};

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  // -- character counters ---------------------------------------------------------------
  function updateCounter(textarea) {
    var counter = document.getElementById(textarea.id + "-counter");
    if (!counter || !messages.counter) { return; }
    var limit = parseInt(textarea.getAttribute("data-max-length"), 10);
    var count = textarea.value.length;
    counter.textContent = format(messages.counter, { count: count, limit: limit });
    counter.classList.toggle("over-limit", count > limit);
  }
  document.querySelectorAll("textarea[data-max-length]").forEach(function (textarea) {
    updateCounter(textarea);
    textarea.addEventListener("input", function () { updateCounter(textarea); });
  });

  // -- one click submits once -------------------------------------------------------------
  document.querySelectorAll("form").forEach(function (form) {
    var button = form.querySelector("[data-submit-once]");
    if (!button) { return; }
    form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });

  // -- file size checked before a long upload ---------------------------------------------
  var uploadForm = document.getElementById("upload-form");
  if (uploadForm) {
    var maxBytes = parseInt(uploadForm.getAttribute("data-max-bytes"), 10);
    var fileInput = uploadForm.querySelector("input[type=file]");
    var fileError = document.getElementById(fileInput.id + "-error");
    var checkSize = function () {
      var file = fileInput.files && fileInput.files[0];
      var tooLarge = Boolean(file && maxBytes && file.size > maxBytes);
      if (fileError) {
        fileError.hidden = !tooLarge;
        fileError.textContent = tooLarge
          ? format(messages.too_large, { limit: (maxBytes / 1048576).toFixed(1) }) : "";
      }
      return !tooLarge;
    };
    fileInput.addEventListener("change", checkSize);
    uploadForm.addEventListener("submit", function (event) {
      if (!checkSize()) { event.preventDefault(); fileInput.focus(); }
    });
  }

  // -- autosave -------------------------------------------------------------------------------
  var form = document.getElementById("section-form");
  if (!form || !form.getAttribute("data-autosave-url")) { return; }

  var autosaveUrl = form.getAttribute("data-autosave-url");
  var sessionUrl = form.getAttribute("data-session-url");
  var loginUrl = form.getAttribute("data-login-url");
  var storageKey = form.getAttribute("data-storage-key");
  var versionInput = form.querySelector("input[name=version]");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var statusElement = document.getElementById("save-status");
  var notice = document.getElementById("autosave-notice");
  var SKIPPED = { csrf_token: true, version: true, action: true, partner_action: true };
  var DEBOUNCE_MS = 1500;
  var timer = null;
  var inFlight = false;
  var again = false;
  var blocked = null; // "expired", "conflict" or "refused": wait for the person
  var retryDelay = 2000;
  var sessionPoll = null;

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }
  }

  function currentValues() {
    var values = {};
    new FormData(form).forEach(function (value, name) {
      if (SKIPPED[name] || typeof value !== "string") { return; }
      (values[name] = values[name] || []).push(value);
    });
    return values;
  }

  function sameValues(first, second) {
    var names = Object.keys(first).concat(Object.keys(second));
    return names.every(function (name) {
      return (first[name] || []).join("\u0000") === (second[name] || []).join("\u0000");
    });
  }

  function keep() {
    var store = storage();
    if (!store) { return; }
    try {
      store.setItem(storageKey, JSON.stringify({
        base: versionInput.value, values: currentValues(), at: Date.now()
      }));
    } catch (error) { /* storage full or refused: the server copy still counts */ }
  }

  function kept() {
    var store = storage();
    if (!store) { return null; }
    try { return JSON.parse(store.getItem(storageKey) || "null"); } catch (error) { return null; }
  }

  function forget() {
    var store = storage();
    if (store) { store.removeItem(storageKey); }
  }

  function apply(values) {
    form.querySelectorAll("input, textarea, select").forEach(function (element) {
      if (!element.name || SKIPPED[element.name] || element.type === "file") { return; }
      var stored = values[element.name] || [];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = stored.indexOf(element.value) !== -1;
      } else if (element.type !== "submit" && element.type !== "button") {
        element.value = stored.length ? stored[0] : "";
      }
      if (element.tagName === "TEXTAREA" && element.hasAttribute("data-max-length")) {
        updateCounter(element);
      }
    });
  }

  function setStatus(text) { statusElement.textContent = text; }

  function clearNotice() {
    notice.hidden = true;
    while (notice.firstChild) { notice.removeChild(notice.firstChild); }
  }

  function showNotice(text, className) {
    clearNotice();
    notice.className = "autosave-notice " + (className || "");
    var paragraph = document.createElement("p");
    paragraph.textContent = text;
    notice.appendChild(paragraph);
    notice.hidden = false;
    return notice;
  }

  function addButton(parent, text, handler, secondary) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.className = secondary ? "button-secondary button-small" : "button-small";
    button.addEventListener("click", handler);
    parent.appendChild(button);
    return button;
  }

  function labelFor(name) {
    var label = form.querySelector("label[for='" + name + "']");
    var legend = document.getElementById(name) && document.getElementById(name).querySelector("legend");
    return (label || legend) ? (label || legend).textContent.trim() : name;
  }

  function showFieldErrors(errors) {
    var names = Object.keys(errors || {});
    if (!names.length) {
      if (!blocked && notice.classList.contains("field-errors")) { clearNotice(); }
      return;
    }
    var box = showNotice(messages.refused, "field-errors error-summary");
    var list = document.createElement("ul");
    names.forEach(function (name) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + name;
      link.textContent = labelFor(name) + ": " + errors[name];
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function updateMarks(complete) {
    Object.keys(complete || {}).forEach(function (key) {
      var item = document.querySelector(".section-nav li[data-section='" + key + "']");
      if (!item) { return; }
      item.classList.toggle("is-complete", complete[key]);
      item.classList.toggle("is-incomplete", !complete[key]);
      var mark = item.querySelector(".mark");
      if (mark) { mark.textContent = complete[key] ? "\u2713" : "\u25CB"; }
    });
    // The folded list's one line ("Sections (3 of 9 done)") follows the marks.
    var summary = document.querySelector(".section-menu summary[data-count-text]");
    if (summary) {
      var items = document.querySelectorAll(".section-nav li[data-section]");
      var done = document.querySelectorAll(".section-nav li[data-section].is-complete");
      summary.textContent = summary.getAttribute("data-count-text")
        .replace("{done}", done.length).replace("{total}", items.length);
    }
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  function showConflict(error) {
    blocked = "conflict";
    var box = showNotice(messages.conflict, "conflict error-summary");
    (error.fields || []).forEach(function (field) {
      var heading = document.createElement("h3");
      heading.textContent = field.label;
      box.appendChild(heading);
      [[messages.saved_version, field.saved], [messages.yours, field.yours]].forEach(function (pair) {
        var title = document.createElement("p");
        var strong = document.createElement("strong");
        strong.textContent = pair[0];
        title.appendChild(strong);
        var text = document.createElement("pre");
        text.className = "conflict-text";
        text.textContent = pair[1] || "\u2014";
        box.appendChild(title);
        box.appendChild(text);
      });
    });
    var actions = document.createElement("p");
    actions.className = "actions";
    addButton(actions, messages.keep_mine, function () {
      versionInput.value = String(error.version);
      blocked = null;
      clearNotice();
      keep();
      save();
    });
    addButton(actions, messages.use_saved, function () {
      forget();
      window.location.reload();
    }, true);
    box.appendChild(actions);
  }

  function checkSession() {
    fetch(sessionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { return null; }
        return response.json();
      })
      .then(function (data) {
        if (!data || !data.csrf_token) { return; }
        csrfInput.value = data.csrf_token;
        window.clearInterval(sessionPoll);
        sessionPoll = null;
        blocked = null;
        clearNotice();
        save();
      })
      .catch(function () { /* still offline or logged out: try again later */ });
  }

  function showExpired(error) {
    blocked = "expired";
    setStatus(messages.expired);
    var box = showNotice(error.message || messages.expired, "expired");
    var link = document.createElement("a");
    link.href = loginUrl;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = messages.login;
    box.appendChild(link);
    if (!sessionPoll) { sessionPoll = window.setInterval(checkSession, 5000); }
  }

  function retryLater() {
    setStatus(navigator.onLine === false ? messages.offline : messages.retrying);
    schedule(retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function handle(status, data, sent) {
    if (status === 200) {
      versionInput.value = String(data.version);
      retryDelay = 2000;
      setStatus(format(messages.saved, { time: data.saved_label }));
      updateMarks(data.complete);
      showFieldErrors(data.errors);
      var errorNames = Object.keys(data.errors || {});
      if (sameValues(sent, currentValues()) && !errorNames.length) {
        forget();
      } else {
        keep();
        if (!sameValues(sent, currentValues())) { schedule(DEBOUNCE_MS); }
      }
      return;
    }
    var error = (data && data.error) || {};
    if (status === 401) { showExpired(error); return; }
    if (status === 400 && error.code === "csrf_expired") { checkSession(); return; }
    // "busy": the embedded database was still writing someone else's change; send it again.
    if (status === 409 && error.code === "busy") { retryLater(); return; }
    if (status === 409) { showConflict(error); return; }
    if (status >= 500 || status === 0 || status === 429) { retryLater(); return; }
    blocked = "refused";
    setStatus(error.message || messages.retrying);
    showNotice(error.message || messages.retrying, "error-summary");
  }

  function save(options) {
    window.clearTimeout(timer);
    if (blocked) { return; }
    if (inFlight) { again = true; return; }
    var sent = currentValues();
    var stored = kept();
    if (!stored) { return; } // nothing typed since the last save
    inFlight = true;
    setStatus(messages.saving);
    fetch(autosaveUrl, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      keepalive: Boolean(options && options.keepalive),
      headers: { Accept: "application/json", "X-CSRFToken": csrfInput ? csrfInput.value : "" }
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          handle(response.status, data, sent);
        });
      })
      .catch(function () { retryLater(); })
      .then(function () {
        inFlight = false;
        if (again) { again = false; save(); }
      });
  }

  function changed() {
    keep();
    if (!blocked) { schedule(DEBOUNCE_MS); }
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", function () { if (!blocked) { save(); } });
  window.addEventListener("focus", function () { if (blocked === "expired") { checkSession(); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && timer) { save({ keepalive: true }); }
  });

  // Text typed before a lost connection, a reload or an ended session comes back.
  var earlier = kept();
  if (earlier && earlier.values) {
    if (sameValues(earlier.values, currentValues())) {
      forget();
    } else if (String(earlier.base) === versionInput.value) {
      apply(earlier.values);
      showNotice(messages.restored, "restored");
      schedule(500);
    } else {
      var box = showNotice(messages.restore_offer, "restore-offer");
      var actions = document.createElement("p");
      actions.className = "actions";
      addButton(actions, messages.restore, function () {
        apply(earlier.values);
        clearNotice();
        keep();
        save();
      });
      addButton(actions, messages.discard, function () {
        forget();
        clearNotice();
      }, true);
      box.appendChild(actions);
    }
  }
})();
