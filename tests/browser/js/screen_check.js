() => {
  const vw = window.innerWidth, vh = window.innerHeight, root = document.documentElement;
  const problems = [];
  const shown = (el) => el.getClientRects().length > 0;
  const inside = (a, b) => a.left >= b.left - 1 && a.top >= b.top - 1 && a.right <= b.right + 1 && a.bottom <= b.bottom + 1;
  const label = (el) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}"`;
  if (root.scrollWidth > vw || root.scrollHeight > vh || document.body.scrollHeight > vh)
    problems.push(`the page scrolls: ${root.scrollWidth}×${root.scrollHeight} in ${vw}×${vh}`);
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el) || !el.textContent.trim()) continue;
    const box = el.getBoundingClientRect();
    if (!inside(box, { left: 0, top: 0, right: vw, bottom: vh })) problems.push(`off the screen: ${label(el)}`);
    const tile = el.parentElement && el.parentElement.closest(".agent-tile, .queue-tile, .account-status, .board-header");
    if (tile && !inside(box, tile.getBoundingClientRect())) problems.push(`out of its tile: ${label(el)}`);
    if (getComputedStyle(el).display !== "inline" &&
        (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      problems.push(`cut: ${label(el)} needs ${el.scrollWidth}×${el.scrollHeight}, has ${el.clientWidth}×${el.clientHeight}`);
  }
  const sizes = (selector) => Array.from(document.querySelectorAll(selector)).filter(shown)
    .map((el) => parseFloat(getComputedStyle(el).fontSize));
  const indicator = document.getElementById("page-indicator");
  return {
    problems: problems.slice(0, 20),
    figure_px: Math.min(...sizes(".figures dd")),
    agent_px: Math.min(...sizes(".agent-name, .agent-status")),
    page: indicator.hidden ? "1 / 1" : indicator.textContent,
    density: document.body.dataset.density,
    agents: Array.from(document.querySelectorAll(".agent-tile[id]")).filter(shown).map((el) => el.id),
    all_agents: Array.from(document.querySelectorAll(".agent-tile[id]")).map((el) => el.id),
    queues: Array.from(document.querySelectorAll(".queue-tile[id]")).filter(shown).map((el) => el.id),
    all_queues: Array.from(document.querySelectorAll(".queue-tile[id]")).map((el) => el.id),
    widgets: Array.from(document.querySelectorAll(".widget[id]")).filter(shown).map((el) => el.id),
    all_widgets: Array.from(document.querySelectorAll(".widget[id]")).map((el) => el.id),
  };
}
