() => Object.fromEntries(Array.from(document.querySelectorAll(".agent-tile[id], .queue-tile[id], .widget[id]"))
  .filter((el) => el.getClientRects().length)
  .map((el) => { const r = el.getBoundingClientRect(); return [el.id, [r.left, r.top, r.width, r.height]]; }))
