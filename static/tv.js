// The wall (ADR 015): the TV page, and the board page in full screen (F, or ?fullscreen),
// fit the screen they are on with no scrollbar and nothing clipped. The CSS sizes everything
// from the screen height; this script only measures:
// - the density and scale: the first of LEVELS at which the whole board fits wins;
// - the widths and line counts the text needs at that level (no name is ever cut: a long
//   one gets a wider tile or another line, the same for every tile, so tiles never differ);
// - pages, when even the densest level cannot show every agent: the queues stay on every
//   page when they leave room, the agents are split, and the pages turn every
//   data-rotate-s seconds with "2 / 3" in the header.
// A pushed tile replaces its element, so after every message the page's selection is applied
// again by id: a page keeps its agents; agents that came or went are paginated at the next
// turn (at once when everything fits on one page).
(function () {
  "use strict";
  var body = document.body;
  var board = document.getElementById("board");
  if (!board || !body.classList.contains("board-page")) return;
  var root = document.documentElement;
  if (board.dataset.theme) body.dataset.theme = board.dataset.theme;

  // The board's message line (ADR 027), in the header: shown for data-ttl-ms from when it
  // arrived. It wraps rather than scroll or cut, so the board is laid out again around it.
  var ticker = null, tickerTimer = null, tickerShown = false;
  function showTicker(el, on) {
    el.hidden = !on;
    if (on !== tickerShown && isWall()) layout();
    tickerShown = on;
  }
  function armTicker() {
    var el = document.getElementById("ticker");
    if (!el || el === ticker) return;
    ticker = el;
    clearTimeout(tickerTimer);
    var ms = parseFloat(el.dataset.ttlMs);
    showTicker(el, ms > 0);
    if (ms > 0) tickerTimer = setTimeout(function () { showTicker(el, false); }, ms);
  }
  document.addEventListener("htmx:wsAfterMessage", armTicker);

  // "Identify" from the board editor: this TV's label, large, for data-ttl-ms.
  var identify = document.getElementById("identify");
  document.addEventListener("htmx:wsAfterMessage", function () {
    var el = document.getElementById("identify");
    if (!el || el === identify) return;
    identify = el;
    var ms = parseFloat(el.dataset.ttlMs);
    el.hidden = !(ms > 0);
    if (ms > 0) setTimeout(function () { el.hidden = true; }, ms);
  });

  // [density, scale]: the scale multiplies every size; at 1 the figures are at their minimum.
  var LEVELS = [["full", 2], ["full", 1.6], ["full", 1.3], ["compact", 1.25], ["compact", 1], ["bar", 1]];
  var AGENT_EM = { full: 12, compact: 10.5, bar: 10 }; // a tile's narrowest width
  // Text boxes whose line count is chosen here, and the most lines each may take.
  var TEXTS = [
    [".figures dt", "--label-lines", 3],
    [".agent-call", "--call-lines", 3],
    [".widget li > *", "--row-lines", 3],
  ];
  var FIXED = [".agent-name", ".in-state", ".agent-counts", ".forecast", ".figures dd", ".account-status", ".widget h3", ".summary td"]; // checked, not fitted
  var PINNED_SHARE = 0.6; // the queues stay on every page if they take at most this much of it
  var PROPS = ["--s", "--aw", "--qw", "--name-lines", "--qname-lines", "--label-lines", "--state-lines", "--call-lines", "--row-lines"];

  var indicator = document.getElementById("page-indicator");
  var fromQuery = /[?&]fullscreen(=|&|$)/.test(window.location.search);
  var pages = [null]; // each page: the keys it shows (null: everything)
  var page = 0;
  var known = ""; // the items laid out last
  var timer = null;

  function isWall() { return body.classList.contains("wall"); }
  function prop(name, value) { body.style.setProperty(name, String(value)); }

  function fits() {
    return board.scrollHeight <= board.clientHeight + 1 && board.scrollWidth <= board.clientWidth + 1 &&
      root.scrollHeight <= root.clientHeight + 1 && root.scrollWidth <= root.clientWidth + 1;
  }
  function overflows(els) {
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.getClientRects().length) continue; // not on this page
      if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) return true;
    }
    return false;
  }
  function textOverflows() {
    var selectors = TEXTS.map(function (t) { return t[0]; });
    return overflows(board.querySelectorAll(selectors.concat(FIXED).join(", ")));
  }

  function fitLines(selector, name, most) {
    var els = board.querySelectorAll(selector);
    for (var n = 1; n <= most; n++) {
      prop(name, n);
      if (!overflows(els)) return;
    }
  }
  // The smallest tile in which every name and state fits: one line each in the narrowest
  // width, or wider, or more lines for whichever needs them — tried smallest area first.
  // The same for every tile, so a pushed tile never differs from its neighbours.
  function fitAgents(density) {
    var texts = board.querySelectorAll(".agent-name, .agent-status"), base = AGENT_EM[density];
    var rows = density === "full" ? 1.6 : 0.6; // the call line and the padding, in lines
    var tries = [];
    [[1, 1], [2, 1], [1, 2], [2, 2], [1, 3], [2, 3]].forEach(function (lines) {
      for (var w = 0; w <= 12; w++) tries.push([lines[0], lines[1], base + w]);
    });
    tries.sort(function (a, b) { return a[2] * (a[0] + a[1] + rows) - b[2] * (b[0] + b[1] + rows); });
    for (var i = 0; i < tries.length; i++) {
      prop("--name-lines", tries[i][0]);
      prop("--state-lines", tries[i][1]);
      prop("--aw", tries[i][2] + "em");
      if (!overflows(texts)) return;
    }
    prop("--name-lines", 3);
    prop("--state-lines", 3);
  }
  // A queue tile is as wide as its widest content can be (the CSS keeps room in the figures
  // for "999", "59:59" and "100 %"; a name's longest word), wider if its name then needs
  // more than two lines.
  function fitQueues() {
    var tiles = board.querySelectorAll(".queue-tile"), widest = 0;
    if (!tiles.length) return;
    // A class, not a style attribute: htmx copies a swapped tile's attributes, and the CSP
    // refuses style attributes.
    board.classList.add("measuring");
    for (var i = 0; i < tiles.length; i++) widest = Math.max(widest, tiles[i].getBoundingClientRect().width);
    board.classList.remove("measuring");
    var names = board.querySelectorAll(".queue-tile h3");
    for (var w = Math.ceil(widest); w <= 3 * widest; w = Math.ceil(w * 1.25)) {
      prop("--qw", w + "px");
      for (var n = 1; n <= 2; n++) {
        prop("--qname-lines", n);
        if (!overflows(names)) return;
      }
    }
    prop("--qname-lines", 3);
  }
  // Fitting measures only the tiles with the longest texts (a layout of 300 tiles per try
  // would take seconds on a TV), and every widget (a list or table of its own, ADR 027);
  // the result is checked against every tile afterwards.
  function longestTexts() {
    var keys = {};
    board.querySelectorAll(".widget[id]").forEach(function (el) { keys[el.id] = true; });
    [".agent-name", ".agent-status", ".agent-call", ".queue-tile h3"].forEach(function (selector) {
      var els = Array.prototype.slice.call(board.querySelectorAll(selector));
      els.sort(function (a, b) { return b.textContent.length - a.textContent.length; });
      els.slice(0, 6).forEach(function (el) {
        var tile = el.closest(".agent-tile[id], .queue-tile[id]");
        if (tile) keys[tile.id] = true;
      });
    });
    return keys;
  }
  function setLevel(level, sample) {
    show(sample);
    body.dataset.density = level[0];
    prop("--s", level[1]);
    fitQueues();
    fitAgents(level[0]);
    TEXTS.forEach(function (t) { fitLines(t[0], t[1], t[2]); });
    show(null);
  }

  // What pages are made of, in board order: queue tiles and widgets (which stay on every
  // page when they leave room) and agent tiles.
  function items() {
    var list = [];
    var els = board.querySelectorAll(".account .queue-slot, .account .agent-tile[id], .account .widget[id]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.classList.contains("queue-slot")) {
        var tile = el.querySelector(".queue-tile");
        if (tile) list.push({ key: tile.id, queue: true });
      } else {
        list.push({ key: el.id, queue: !el.classList.contains("agent-tile") });
      }
    }
    return list;
  }
  function keysOf(list) {
    var keys = {};
    list.forEach(function (item) { keys[item.key] = true; });
    return keys;
  }
  function signature(list) { return list.map(function (item) { return item.key; }).join(" "); }

  // Shows only the items in keys (null: all); a section none of whose items shows is hidden.
  function show(keys) {
    var sections = board.querySelectorAll(".account");
    for (var i = 0; i < sections.length; i++) {
      var any = false, some = false;
      var slots = sections[i].querySelectorAll(".queue-slot");
      for (var j = 0; j < slots.length; j++) {
        var tile = slots[j].querySelector(".queue-tile");
        var on = keys === null || !!(tile && keys[tile.id]);
        slots[j].classList.toggle("off-page", !on);
        any = any || on; some = true;
      }
      var agents = sections[i].querySelectorAll(".agent-tile[id], .widget[id]");
      for (var k = 0; k < agents.length; k++) {
        var shown = keys === null || !!keys[agents[k].id];
        agents[k].classList.toggle("off-page", !shown);
        any = any || shown; some = true;
      }
      sections[i].classList.toggle("off-page", some && !any);
    }
  }

  // How much of the board's height what it shows takes (scrollHeight is never below the box).
  function used() {
    var top = board.getBoundingClientRect().top, bottom = top;
    var sections = board.querySelectorAll(".account");
    for (var i = 0; i < sections.length; i++) {
      if (sections[i].getClientRects().length) bottom = Math.max(bottom, sections[i].getBoundingClientRect().bottom);
    }
    return bottom - top;
  }
  // Each page takes as many items, in board order, as fit (found by bisection), at most cap.
  function greedy(pinned, flowing, cap) {
    var result = [], start = 0;
    while (start < flowing.length) {
      var lo = start + 1, hi = Math.min(flowing.length, start + cap), best = start + 1;
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        show(keysOf(pinned.concat(flowing.slice(start, mid))));
        if (fits()) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      result.push(keysOf(pinned.concat(flowing.slice(start, best))));
      start = best;
    }
    return result.length ? result : [keysOf(pinned)];
  }
  // The queues stay on every page if they leave room for agents; then as few pages as fit,
  // as evenly filled as that many pages can be (no last page with two agents on it).
  function paginate(list) {
    var queues = list.filter(function (item) { return item.queue; });
    show(keysOf(queues));
    var pin = fits() && used() <= board.clientHeight * PINNED_SHARE;
    var pinned = pin ? queues : [];
    var flowing = pin ? list.filter(function (item) { return !item.queue; }) : list;
    var pages = greedy(pinned, flowing, flowing.length);
    if (pages.length > 1) {
      var even = greedy(pinned, flowing, Math.ceil(flowing.length / pages.length));
      if (even.length === pages.length) pages = even;
    }
    return pages;
  }

  function apply() {
    show(pages[page]);
    if (indicator) {
      indicator.hidden = pages.length < 2;
      indicator.textContent = pages.length < 2 ? "" : page + 1 + " / " + pages.length;
    }
    board.dataset.pages = String(pages.length);
  }

  // The first item the page on screen shows, to go on from there after a new layout.
  function firstShown() {
    var keys = pages[page];
    if (!keys) return null;
    var list = items();
    for (var i = 0; i < list.length; i++) if (keys[list[i].key]) return list[i].key;
    return null;
  }

  function layout(everyTile) {
    var from = firstShown();
    var list = items();
    var sample = everyTile ? null : longestTexts();
    known = signature(list);
    var fitted = false, usable = [];
    for (var i = 0; i < LEVELS.length && !fitted; i++) {
      setLevel(LEVELS[i], sample);
      var clean = board.scrollWidth <= board.clientWidth + 1 && !textOverflows();
      if (clean && LEVELS[i][1] === 1) usable.push(i);
      fitted = clean && fits();
    }
    if (!fitted && usable.length === 0 && sample) {
      layout(true); // a text the sample did not foresee: fit to every tile
      return;
    }
    if (fitted) {
      pages = [null];
    } else {
      // Pages at whichever smallest-scale level needs fewest (queue rows can take more
      // height than queue tiles; a queue row can be too wide for a portrait screen).
      var best = null;
      (usable.length ? usable : [LEVELS.length - 1]).forEach(function (level) {
        setLevel(LEVELS[level], sample);
        var split = paginate(list);
        if (!best || split.length < best.pages.length) best = { level: level, pages: split };
      });
      if (best.level !== usable[usable.length - 1]) setLevel(LEVELS[best.level], sample);
      pages = best.pages;
    }
    page = Math.min(page, pages.length - 1);
    for (var p = 0; from && p < pages.length; p++) {
      if (pages[p] && pages[p][from]) { page = p; break; }
    }
    apply();
  }

  // A TV tells the server what it is (ADR 027), for the board editor's list of TVs: once the
  // socket opens, its screen, window, browser and page; then the page, at most once per turn.
  var socket = null, reported = "";
  function pageShown() { return { page: page + 1, pages: pages.length }; }
  function report(data) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify(data));
    reported = data.page + "/" + data.pages;
  }
  function reportTurn() {
    var shown = pageShown();
    if (shown.page + "/" + shown.pages !== reported) report(shown);
  }
  if (body.classList.contains("tv-page")) {
    document.addEventListener("htmx:wsOpen", function (evt) {
      socket = evt.detail.event.target;
      var px = function (n) { return Math.max(1, Math.round(n)); };
      var hello = pageShown();
      hello.screen_w = px(window.screen.width);
      hello.screen_h = px(window.screen.height);
      hello.dpr = window.devicePixelRatio || 1;
      hello.viewport_w = px(window.innerWidth);
      hello.viewport_h = px(window.innerHeight);
      hello.ua = navigator.userAgent.slice(0, 512) || "unknown";
      report(hello);
    });
    document.addEventListener("htmx:wsClose", function (evt) {
      if (evt.detail.event.target === socket) socket = null;
    });
  }

  function turn() {
    if (isWall()) {
      if (signature(items()) !== known) layout();
      page = (page + 1) % pages.length;
      apply();
      reportTurn();
    }
    schedule();
  }
  function schedule() {
    clearTimeout(timer);
    var seconds = parseFloat(board.dataset.rotateS);
    timer = setTimeout(turn, (seconds > 0 ? seconds : 15) * 1000);
  }

  function setWall(on) {
    body.classList.toggle("wall", on);
    if (on) {
      layout();
      return;
    }
    show(null);
    PROPS.forEach(function (name) { body.style.removeProperty(name); });
    delete body.dataset.density;
    if (indicator) indicator.hidden = true;
  }

  document.addEventListener("htmx:wsAfterMessage", function () {
    if (!isWall()) return;
    if (pages.length === 1 && signature(items()) !== known) { layout(); return; }
    apply();
    // A text longer than any before it (a new pause reason, a renamed queue): lay out again
    // now rather than show it cut.
    if (!fits() || textOverflows()) layout();
  });

  // A banner that comes or goes (live.js: "not live") changes the height of its account's
  // header: lay out again at once, rather than cut the board's bottom row.
  new MutationObserver(function () {
    if (isWall()) layout();
  }).observe(board, { attributes: true, attributeFilter: ["hidden"], subtree: true });

  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { if (isWall()) layout(); }, 250);
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "f" && evt.key !== "F") return;
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (evt.target.closest && evt.target.closest("input, select, textarea, [contenteditable]")) return;
    if (document.fullscreenElement) document.exitFullscreen();
    else if (root.requestFullscreen) root.requestFullscreen().catch(function () { setWall(true); });
  });
  document.addEventListener("fullscreenchange", function () {
    if (!body.classList.contains("tv-page")) setWall(!!document.fullscreenElement || fromQuery);
  });

  if (isWall() || fromQuery) setWall(true);
  armTicker();
  schedule();
})();
