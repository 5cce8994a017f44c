// Live pages glue around htmx and its ws extension:
// - per-account sequence numbers: a gap (or a message older than what we hold) means we
//   missed something, so we drop the socket and resync from the full state sent on connect;
//   a "resync" marker (queues or agents came or went) does the same on purpose;
// - reconnect after ANY close (the ws extension only retries on 1006/1011/1012/1013, and
//   a server or proxy may close with 1000), with jittered back-off;
// - "time in state" counters that tick here, from server "since" times corrected for the
//   difference between this screen's clock and the server's;
// - each account's data age, from its last successful poll, ticking here on the server's clock;
// - the console's action panel, error replies shown in place, the alarm sound on a TV.
(function () {
  "use strict";
  var lastSeq = {};
  var lastHeard = {}; // account -> Date.now() of its last marker (change or heartbeat)
  var silenceMs = 15000; // the server says how long in its full state (data-silence-ms)
  var beatMs = 5000; // and how often a quiet account's heartbeat comes (data-beat-ms)
  var heard = []; // the markers of the message being swapped in
  var successAt = {}; // account -> server epoch ms of its last successful poll we know of
  var clockSkewMs = 0;
  var currentSocket = null;
  var retries = 0;
  var RETRY_CODES = [1006, 1011, 1012, 1013]; // the ws extension reconnects these itself
  // The server ended this page's right to its view (logout, narrowed rights, a TV link
  // revoked or its board changed): load the page again, so what it shows is decided anew.
  var CLOSE_RELOAD = 4403;
  var SHOWN_ERRORS = [400, 403, 404, 409, 429, 502, 503];

  function setConnection(state) {
    var el = document.getElementById("connection");
    if (el) el.dataset.state = state;
    document.body.dataset.connection = state;
  }

  function parse(html) {
    return new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
  }

  function markers(doc) {
    return Array.prototype.map.call(doc.querySelectorAll(".seq[data-seq]"), function (el) {
      return {
        account: el.id.slice("seq-".length),
        seq: parseInt(el.dataset.seq, 10),
        full: el.hasAttribute("data-full"),
        resync: el.hasAttribute("data-resync"),
        beat: el.hasAttribute("data-beat"),
        silenceMs: parseInt(el.dataset.silenceMs, 10),
        beatMs: parseInt(el.dataset.beatMs, 10),
        now: Number(el.dataset.now), // the server's clock, epoch milliseconds
      };
    });
  }

  function resync() {
    if (currentSocket) currentSocket.close(4000, "resync");
  }

  document.addEventListener("htmx:wsOpen", function (evt) {
    currentSocket = evt.detail.event.target;
    retries = 0;
    lastSeq = {};
    setConnection("open");
  });

  document.addEventListener("htmx:wsClose", function (evt) {
    var socket = evt.detail.event.target;
    if (socket !== currentSocket) return; // an old socket we already replaced
    currentSocket = null;
    setConnection("closed");
    if (evt.detail.event.code === CLOSE_RELOAD) { window.location.reload(); return; }
    if (RETRY_CODES.indexOf(evt.detail.event.code) >= 0) return;
    var delay = Math.random() * Math.min(30000, 500 * Math.pow(2, retries));
    retries += 1;
    setTimeout(function () { evt.detail.socketWrapper.reconnect(); }, delay);
  });

  // A message of fragments that only replace the elements of the same id, with nothing in
  // them for htmx to process (every "hx-" attribute is hx-swap-oob="true", no "ws-"): put in
  // place here. htmx's swap of each fragment (its events, the clean-up of every element it
  // removes, settling) took ~9 ms of a 100-agent board's message in Chromium; this takes
  // under one. Anything else is left to htmx.
  var OOB = ' hx-swap-oob="true"';
  function plain(message) {
    return message.split(" hx-").length === message.split(OOB).length && message.indexOf(" ws-") < 0;
  }
  function swapIn(doc) {
    var focused = document.activeElement && document.activeElement.id;
    Array.prototype.slice.call(doc.body.children).forEach(function (el) {
      var old = el.id && document.getElementById(el.id);
      if (!old) return; // not on this page (a narrowed board, a widget it does not show)
      el.removeAttribute("hx-swap-oob");
      var fresh = document.adoptNode(el);
      old.replaceWith(fresh);
      if (el.id === focused) fresh.focus({ preventScroll: true }); // the console's keyboard
    });
  }

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var message = evt.detail.message;
    var doc = parse(message);
    var found = markers(doc);
    heard = found;
    for (var i = 0; i < found.length; i++) {
      var m = found[i];
      var last = lastSeq[m.account];
      if (!isNaN(m.now)) clockSkewMs = m.now - Date.now();
      if (!isNaN(m.silenceMs)) silenceMs = m.silenceMs;
      if (!isNaN(m.beatMs)) beatMs = m.beatMs;
      lastHeard[m.account] = Date.now();
      if (m.beat) {
        // "Alive, nothing changed": only a number ahead of ours means we missed something.
        if (last !== undefined && m.seq > last) { evt.preventDefault(); resync(); return; }
        continue;
      }
      if (m.full || last === undefined) continue;
      if (m.seq <= last) { evt.preventDefault(); return; }
      if (m.seq > last + 1 || m.resync) { evt.preventDefault(); resync(); return; }
    }
    found.forEach(function (m) { lastSeq[m.account] = m.seq; });
    if (message.indexOf('class="members-marker"') >= 0) {
      setTimeout(function () { document.body.dispatchEvent(new CustomEvent("wallboard:members-changed")); }, 0);
    }
    if (window.htmx && plain(message)) {
      evt.preventDefault();
      swapIn(doc);
      window.htmx.trigger(evt.target, "htmx:wsAfterMessage", evt.detail);
    }
  });

  // Replies that say "no" (bad input, not allowed, the vendor refused) are shown in place.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (SHOWN_ERRORS.indexOf(evt.detail.xhr.status) >= 0) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // The console: choosing an agent opens their action panel.
  function openAgent(tile) {
    if (!document.body.classList.contains("console-page") || !window.htmx) return;
    var agent = tile.id.slice("agent-".length);
    window.htmx.ajax("GET", "/console/agent/" + agent + "/", { target: "#action-panel", swap: "innerHTML" });
  }
  document.addEventListener("click", function (evt) {
    var tile = evt.target.closest && evt.target.closest(".agent-tile[id]");
    if (tile) openAgent(tile);
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Enter") return;
    var tile = evt.target.closest && evt.target.closest(".agent-tile[id]");
    if (tile) openAgent(tile);
  });
  document.addEventListener("change", function (evt) {
    if (evt.target.matches && evt.target.matches("select[data-autosubmit]")) evt.target.form.submit();
  });

  // Alert levels are decided on the server (same figures, same cool-down for every screen);
  // a TV may beep when something newly enters alarm.
  var soundOn = false;
  var audio = null;
  var alarmed = null;
  function beep() {
    if (!soundOn) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no audio device: the colours still show */ }
  }
  function checkAlarms() {
    var now = {}, fresh = false;
    var els = document.querySelectorAll(".level[data-level='2']");
    for (var i = 0; i < els.length; i++) {
      now[els[i].id] = true;
      if (alarmed && !alarmed[els[i].id]) fresh = true;
    }
    if (fresh) beep();
    alarmed = now;
  }
  document.addEventListener("htmx:wsAfterMessage", function () { setTimeout(checkAlarms, 0); });
  var soundToggle = document.getElementById("sound-toggle");
  if (soundToggle) {
    soundToggle.addEventListener("click", function () {
      soundOn = !soundOn;
      soundToggle.setAttribute("aria-pressed", String(soundOn));
      soundToggle.textContent = soundOn ? soundToggle.dataset.on : soundToggle.dataset.off;
      if (soundOn) beep();
    });
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  // Never wider than "9:59:59", which the tiles keep room for: from 10 hours on, the seconds
  // say nothing (an agent paused since yesterday, a vendor's clock far off).
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds >= 48 * 3600) return Math.floor(seconds / 86400) + " d";
    if (seconds >= 10 * 3600) return Math.floor(seconds / 3600) + " h";
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }
  function tick() {
    var now = Date.now() + clockSkewMs;
    var els = document.querySelectorAll("time[data-since]");
    for (var i = 0; i < els.length; i++) {
      var since = Date.parse(els[i].dataset.since);
      if (isNaN(since)) continue;
      var seconds = (now - since) / 1000;
      // A queue's longest wait past an hour needs no seconds (and keeps its tile's width).
      var long = seconds >= 3600 && els[i].classList.contains("longest-wait");
      var text = long ? Math.floor(seconds / 3600) + " h" : duration(seconds);
      // Only what changed: a message ticks every counter, and rewriting the same text
      // would lay out every tile again before the change it brought is shown.
      if (els[i].textContent !== text) els[i].textContent = text;
    }
    tickAges(now);
  }
  // A screen that has heard nothing about an account for a while says so, whatever the
  // cause (socket down, Redis down, no worker polling): a wall board must not freeze silently.
  function checkSilence() {
    var banners = document.querySelectorAll(".silent-banner[id^='silent-']");
    for (var i = 0; i < banners.length; i++) {
      var heard = lastHeard[banners[i].id.slice("silent-".length)];
      var silent = heard !== undefined && Date.now() - heard > silenceMs;
      if (silent && banners[i].hidden) {
        var at = new Date(heard + clockSkewMs);
        banners[i].querySelector("time").textContent =
          pad(at.getHours()) + ":" + pad(at.getMinutes()) + ":" + pad(at.getSeconds());
      }
      if (banners[i].hidden === silent) banners[i].hidden = !silent; // only a change (tv.js watches it)
    }
  }
  // Every marker but the full state's is sent by the poll that just ended: one that leaves
  // its account not stale (the status in the same message says so) dates a successful poll.
  // A quiet account is heard from only every heartbeat, so "amber" waits for two of the
  // longer of the poll interval and the heartbeat (ADR 015).
  document.addEventListener("htmx:wsAfterMessage", function () {
    heard.forEach(function (m) {
      var status = document.getElementById("status-" + m.account);
      if (m.full || isNaN(m.now) || !status || status.dataset.stale !== "0") return;
      successAt[m.account] = Math.max(successAt[m.account] || 0, m.now);
    });
    heard = [];
  });
  function ageText(seconds) {
    if (seconds < 120) return seconds + " s";
    if (seconds < 7200) return Math.floor(seconds / 60) + " min";
    return Math.floor(seconds / 3600) + " h";
  }
  function tickAges(now) {
    var els = document.querySelectorAll(".account-status[data-success]");
    for (var i = 0; i < els.length; i++) {
      var status = els[i], age = status.querySelector(".data-age");
      var account = status.id.slice("status-".length);
      var rendered = Date.parse(status.dataset.success);
      var success = Math.max(isNaN(rendered) ? 0 : rendered, successAt[account] || 0);
      if (!age || !success) continue;
      var seconds = Math.max(0, Math.floor((now - success) / 1000));
      var interval = Math.max(parseFloat(status.dataset.intervalS) * 1000 || 0, beatMs);
      age.textContent = age.dataset.format.replace("{age}", ageText(seconds));
      age.classList.toggle("old", seconds * 1000 > 2 * interval);
    }
  }

  setInterval(tick, 1000);
  setInterval(checkSilence, 1000);
  document.addEventListener("DOMContentLoaded", function () {
    // Until the socket brings a marker, the page's own says what the server's clock read.
    var marker = document.querySelector(".seq[data-now]");
    if (marker && !isNaN(Number(marker.dataset.now))) clockSkewMs = Number(marker.dataset.now) - Date.now();
    tick();
  });
  document.addEventListener("htmx:wsAfterMessage", tick);
})();
