// Live board glue around htmx's ws extension:
// - per-account sequence numbers: a gap (or a message older than what we hold) means we
//   missed something, so we drop the socket and resync from the full state sent on connect;
// - reconnect after ANY close (the ws extension only retries on 1006/1011/1012/1013, and
//   Daphne closes with 1000 when websocket_timeout runs out), with jittered back-off;
// - "time in state" counters that tick here, from server "since" times corrected for the
//   difference between this screen's clock and the server's.
(function () {
  "use strict";
  var lastSeq = {};
  var clockSkewMs = 0;
  var currentSocket = null;
  var retries = 0;
  var RETRY_CODES = [1006, 1011, 1012, 1013]; // the ws extension reconnects these itself

  function setConnection(state) {
    var el = document.getElementById("connection");
    if (el) el.dataset.state = state;
    document.body.dataset.connection = state;
  }

  function markers(html) {
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    return Array.prototype.map.call(doc.querySelectorAll(".seq[data-seq]"), function (el) {
      return {
        account: el.dataset.account,
        seq: parseInt(el.dataset.seq, 10),
        full: el.hasAttribute("data-full"),
        now: Date.parse(el.dataset.now),
      };
    });
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
    if (RETRY_CODES.indexOf(evt.detail.event.code) >= 0) return;
    var delay = Math.random() * Math.min(30000, 500 * Math.pow(2, retries));
    retries += 1;
    setTimeout(function () { evt.detail.socketWrapper.reconnect(); }, delay);
  });

  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var found = markers(evt.detail.message);
    for (var i = 0; i < found.length; i++) {
      var m = found[i];
      var last = lastSeq[m.account];
      if (!isNaN(m.now)) clockSkewMs = m.now - Date.now();
      if (m.full || last === undefined) continue;
      if (m.seq <= last) { evt.preventDefault(); return; }
      if (m.seq > last + 1) {
        evt.preventDefault();
        if (currentSocket) currentSocket.close(4000, "resync");
        return;
      }
    }
    found.forEach(function (m) { lastSeq[m.account] = m.seq; });
  });

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }
  function tick() {
    var now = Date.now() + clockSkewMs;
    var els = document.querySelectorAll("time[data-since]");
    for (var i = 0; i < els.length; i++) {
      var since = Date.parse(els[i].dataset.since);
      if (!isNaN(since)) els[i].textContent = duration((now - since) / 1000);
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:wsAfterMessage", tick);
})();
