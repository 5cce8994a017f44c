() => { const i = document.getElementById('page-indicator'); return i.hidden ? '1 / 1' : i.textContent; }
