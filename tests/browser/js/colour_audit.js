(states) => {
const srgb = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
const gamma = (c) => 255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
const rgb = (css) => css.match(/[\d.]+/g).map(Number);
const luminance = ([r, g, b]) => 0.2126 * srgb(r) + 0.7152 * srgb(g) + 0.0722 * srgb(b);
const contrast = (a, b) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
// The colour painted behind an element: the nearest opaque background up the tree.
const behind = (el) => {
  for (; el; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
const large = (el) => {
  const s = getComputedStyle(el), px = parseFloat(s.fontSize);
  return px >= 24 || (px >= 18.66 && Number(s.fontWeight) >= 700);
};
const MACHADO = {
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
};
const simulate = (c, m) => {
  const lin = c.map(srgb);
  return m.map((row) => gamma(Math.min(1, Math.max(0, row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2]))));
};
const lab = (c) => {
  const [r, g, b] = c.map(srgb);
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047), y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
};
const rad = (d) => (d * Math.PI) / 180, deg = (r) => (r * 180) / Math.PI;
const de2000 = ([L1, a1, b1], [L2, a2, b2]) => {
  const Cb = (Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2;
  const G = 0.5 * (1 - Math.sqrt(Cb ** 7 / (Cb ** 7 + 25 ** 7)));
  const A1 = (1 + G) * a1, A2 = (1 + G) * a2, C1 = Math.hypot(A1, b1), C2 = Math.hypot(A2, b2);
  const h1 = (deg(Math.atan2(b1, A1)) + 360) % 360, h2 = (deg(Math.atan2(b2, A2)) + 360) % 360;
  let dh = h2 - h1;
  if (C1 * C2 === 0) dh = 0; else if (dh > 180) dh -= 360; else if (dh < -180) dh += 360;
  const dL = L2 - L1, dC = C2 - C1, dH = 2 * Math.sqrt(C1 * C2) * Math.sin(rad(dh / 2));
  const Lm = (L1 + L2) / 2, Cm = (C1 + C2) / 2;
  let hm = h1 + h2;
  if (C1 * C2 !== 0) hm = Math.abs(h1 - h2) <= 180 ? hm / 2 : (hm < 360 ? (hm + 360) / 2 : (hm - 360) / 2);
  const T = 1 - 0.17 * Math.cos(rad(hm - 30)) + 0.24 * Math.cos(rad(2 * hm)) + 0.32 * Math.cos(rad(3 * hm + 6)) - 0.2 * Math.cos(rad(4 * hm - 63));
  const RT = -Math.sin(rad(60 * Math.exp(-(((hm - 275) / 25) ** 2)))) * 2 * Math.sqrt(Cm ** 7 / (Cm ** 7 + 25 ** 7));
  const SL = 1 + (0.015 * (Lm - 50) ** 2) / Math.sqrt(20 + (Lm - 50) ** 2), SC = 1 + 0.045 * Cm, SH = 1 + 0.015 * Cm * T;
  return Math.sqrt((dL / SL) ** 2 + (dC / SC) ** 2 + (dH / SH) ** 2 + RT * (dC / SC) * (dH / SH));
};
  const board = document.getElementById("board");
  const agents = board.querySelector(".agents"), slot = board.querySelector(".queue-slot");
  for (const state of states) {
    const tile = document.createElement("article");
    tile.className = `agent-tile status-${state} sample`;
    tile.innerHTML = '<span class="agent-name">Name</span><span class="agent-status">State</span><time class="in-state">0:00</time>';
    agents.prepend(tile);
  }
  for (const level of ["0", "1", "2"]) {
    const copy = slot.cloneNode(true);
    copy.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
    copy.querySelector(".level").dataset.level = level;
    copy.dataset.sample = level;
    slot.before(copy);
  }
  const failures = [], colours = {}, icons = {};
  const check = (where, text, min) => {
    if (!text.getClientRects().length) return;
    const ratio = contrast(rgb(getComputedStyle(text).color), behind(text));
    if (ratio < (min || (large(text) ? 3 : 4.5))) failures.push(`${where}: contrast ${ratio.toFixed(2)}`);
  };
  const graphic = (where, fg, bg) => {
    const ratio = contrast(fg, bg);
    if (ratio < 3) failures.push(`${where}: contrast ${ratio.toFixed(2)} (graphic)`);
  };
  for (const theme of ["dark", "light", "high-contrast"]) {
    document.body.dataset.theme = board.dataset.theme = theme;
    const page = behind(board);
    for (const tile of board.querySelectorAll(".agent-tile.sample")) {
      const state = tile.className.match(/status-(\w+)/)[1], where = `${theme} ${state}`;
      const bg = behind(tile), s = getComputedStyle(tile), icon = getComputedStyle(tile.querySelector(".agent-status"), "::before");
      for (const part of tile.children) check(`${where} ${part.className} text`, part);
      graphic(`${where} icon`, rgb(icon.backgroundColor), bg);
      if (contrast(bg, page) < 3 && contrast(rgb(s.borderTopColor), page) < 3)
        failures.push(`${where}: neither the tile nor its border stands out from the page`);
      (colours[theme] = colours[theme] || {})[state] = bg;
      icons[state] = icon.maskImage;
    }
    for (const copy of board.querySelectorAll(".queue-slot[data-sample]")) {
      const where = `${theme} queue level ${copy.dataset.sample}`, tile = copy.querySelector(".queue-tile");
      tile.querySelectorAll("h3, dt, dd, .agent-counts b, .agent-counts small").forEach((el) => check(`${where} ${el.tagName}.${el.className}`, el));
      if (copy.dataset.sample === "0") continue;  // no level: the tile's edge tells nothing
      graphic(`${where} border`, rgb(getComputedStyle(tile).borderTopColor), page);
      const mark = getComputedStyle(tile.querySelector("h3"), "::before");
      graphic(`${where} icon`, rgb(mark.backgroundColor), behind(tile));
    }
    document.querySelectorAll(".board-header h1, .board-header .connection, .account-status h2, .data-age, .stale-banner, #sound-toggle")
      .forEach((el) => check(`${theme} ${el.tagName}.${el.className}`, el));
    const age = board.querySelector(".data-age");
    age.classList.add("old");
    check(`${theme} data age, amber`, age);
    age.classList.remove("old");
  }
  const distances = [];
  for (const theme of Object.keys(colours)) {
    const states = Object.keys(colours[theme]);
    for (const [vision, matrix] of Object.entries(MACHADO)) {
      for (let i = 0; i < states.length; i++) for (let j = i + 1; j < states.length; j++) {
        const a = colours[theme][states[i]], b = colours[theme][states[j]];
        if (a.join() === b.join()) continue;  // one colour on purpose: the icon tells them apart
        const d = de2000(lab(simulate(a, matrix)), lab(simulate(b, matrix)));
        distances.push([d, `${theme}, ${vision}: ${states[i]} / ${states[j]}`]);
      }
    }
  }
  distances.sort((x, y) => x[0] - y[0]);
  board.querySelectorAll(".sample, [data-sample]").forEach((el) => el.remove());
  document.body.dataset.theme = board.dataset.theme = "dark";
  return { failures, distances: distances.slice(0, 8), icons };
}
