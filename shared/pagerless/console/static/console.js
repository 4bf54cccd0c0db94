// Pagerless console: live updates over the bounded SSE stream, with a polling fallback.
// The server closes each stream after max_seconds (API Gateway buffers responses); EventSource
// reconnects by itself and resumes with Last-Event-ID. If the stream keeps failing, poll instead.
(function () {
  "use strict";
  var target = null;
  var incidentId = null;
  var pending = null;
  var failures = 0;
  var pollTimer = null;

  function busy() {
    var text = document.getElementById("action-text");
    return text && (text.value.trim() !== "" || document.activeElement === text);
  }

  function refresh() {
    if (!target || !window.htmx) return;
    if (busy()) { schedule(2000); return; }
    window.htmx.trigger(target, "pl-refresh");
  }

  function schedule(ms) {
    if (pending) return;
    pending = setTimeout(function () { pending = null; refresh(); }, ms);
  }

  function say(text) {
    var live = document.getElementById("live-status");
    if (live) live.textContent = text;
  }

  // What the status line says, in the page's language: the template puts the words in data attributes.
  function phrase(data) {
    var live = document.getElementById("live-status");
    if (!live) return "";
    var words = data.type === "incident_created" ? live.dataset.created : data.incident_id ? live.dataset.updated : live.dataset.other;
    return (words || "") + (data.incident_id ? " " + data.incident_id : "");
  }

  function onEvent(message) {
    failures = 0;
    var data = {};
    try { data = JSON.parse(message.data); } catch (e) { return; }
    // A child's incident_created names its parent: the parent's page shows the new child too.
    if (incidentId && data.incident_id && data.incident_id !== incidentId && data.parent_id !== incidentId) return;
    schedule(150);
    if (data.type) say(phrase(data));
  }

  function poll() {
    if (pollTimer) return;
    pollTimer = setInterval(refresh, 15000);
  }

  function connect() {
    if (!window.EventSource) { poll(); return; }
    var source = new EventSource("/console/events?max_seconds=20");
    source.onmessage = onEvent;
    source.onerror = function () {
      failures += 1;
      if (failures > 5) { source.close(); poll(); }
    };
  }

  // Pages show times in the browser's time zone: the server reads it from this cookie.
  function keepTimeZone() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return false; }
    var current = document.cookie.split("; ").filter(function (c) { return c.indexOf("pl_tz=") === 0; })[0];
    var wanted = "pl_tz=" + zone;  // IANA names ("America/New_York", "Etc/GMT+5") are valid cookie values as they are
    if (!zone || !/^[A-Za-z0-9_+\/-]+$/.test(zone) || current === wanted) return false;
    document.cookie = wanted + "; path=/; max-age=31536000; samesite=lax";
    return document.cookie.split("; ").indexOf(wanted) !== -1;  // false where cookies are refused: no reload loop
  }

  // What was typed in a box marked data-draft (an incident's comment) outlives a submit that did not
  // go through: when the session had ended (the sign-in page comes next) or the post was refused with
  // an error page, the text is put back into the same empty box of the same page once the person is
  // back on it, instead of being lost. A submit that went through lands on a page that is neither, and
  // the draft is dropped. sessionStorage: this tab only, gone with it. (The policy and routes editors
  // are not marked: their text put back over a newer stored document would be saved as if read after it.)
  var DRAFTS = "pl-drafts";

  function readDrafts() {
    try { return JSON.parse(window.sessionStorage.getItem(DRAFTS) || "null"); } catch (e) { return null; }
  }

  function writeDrafts(drafts) {
    try {
      if (drafts) window.sessionStorage.setItem(DRAFTS, JSON.stringify(drafts));
      else window.sessionStorage.removeItem(DRAFTS);
    } catch (e) { /* storage refused: nothing kept, as before */ }
  }

  function keepDrafts(event) {
    var boxes = event.target.querySelectorAll ? event.target.querySelectorAll("textarea[data-draft]") : [];
    if (!boxes.length) return;  // another form (signing in, the language): the draft waits for its own
    var texts = {};
    var any = false;
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].id && boxes[i].value.trim() !== "") { texts[boxes[i].id] = boxes[i].value; any = true; }
    }
    writeDrafts(any ? { page: window.location.pathname, interrupted: false, texts: texts } : null);
  }

  function settleDrafts() {
    var drafts = readDrafts();
    if (!drafts) return;
    if (document.getElementById("sign-in") || document.getElementById("error-page")) {
      drafts.interrupted = true;  // not the page the submit meant to reach: keep the text for the way back
      writeDrafts(drafts);
      return;
    }
    writeDrafts(null);
    if (!drafts.interrupted || drafts.page !== window.location.pathname) return;
    Object.keys(drafts.texts || {}).forEach(function (id) {
      var box = document.getElementById(id);
      if (box && box.hasAttribute("data-draft") && box.value.trim() === "") box.value = drafts.texts[id];
    });
  }

  document.addEventListener("submit", keepDrafts, true);

  // A form marked data-confirm (deleting a user, revoking a key: neither can be undone) asks first.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute ? event.target.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // The navigation's "More" menu closes on a click elsewhere and on Escape (focus back on its summary).
  document.addEventListener("click", function (event) {
    var menu = document.getElementById("settings-menu");
    if (menu && menu.open && !menu.contains(event.target)) menu.open = false;
  });
  document.addEventListener("keydown", function (event) {
    var menu = document.getElementById("settings-menu");
    if (event.key !== "Escape" || !menu || !menu.open) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    // A page rendered before the zone was known is rendered again in it, once.
    if (keepTimeZone() && !document.getElementById("sign-in")) {
      window.location.reload();
      return;
    }
    settleDrafts();
    target = document.getElementById("incident-rows") || document.getElementById("incident-live");
    var live = document.getElementById("incident-live");
    if (live) incidentId = live.getAttribute("data-incident");
    if (target) connect();
  });
})();
