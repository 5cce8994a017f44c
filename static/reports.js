// Reports page: one uPlot chart per queue (calls waiting, longest wait, service level),
// drawn as steps in the account's time zone from the JSON the server embeds in the page.
(function () {
  "use strict";

  function build() {
    var source = document.getElementById("report-chart-data");
    var holder = document.getElementById("queue-charts");
    if (!source || !holder || typeof uPlot === "undefined") return;
    var data = JSON.parse(source.textContent);
    var stepped = uPlot.paths.stepped({ align: 1 });
    var charts = [];

    function width(figure) {
      return Math.max(280, figure.clientWidth - 12);
    }
    function tzDate(ts) { return uPlot.tzDate(new Date(ts * 1e3), data.zone); }
    var hhmm = uPlot.fmtDate("{HH}:{mm}");

    data.queues.forEach(function (queue) {
      var figure = document.createElement("figure");
      figure.className = "queue-chart";
      var caption = document.createElement("figcaption");
      caption.textContent = queue.name; // provider text: never innerHTML
      figure.appendChild(caption);
      holder.appendChild(figure);
      if (!queue.x.length) {
        var empty = document.createElement("p");
        empty.className = "note";
        empty.textContent = "–";
        figure.appendChild(empty);
        return;
      }
      var hasSl = queue.service_level_pct.some(function (v) { return v !== null; });
      var opts = {
        width: width(figure),
        height: 180,
        tzDate: tzDate,
        scales: { x: { time: true, range: [data.start, data.end] }, pct: { range: [0, 100] } },
        series: [
          {},
          { label: data.labels.calls_waiting, scale: "n", stroke: "#f59e0b", width: 2, paths: stepped, points: { show: false } },
          { label: data.labels.longest_wait_s, scale: "s", stroke: "#ef4444", width: 1, paths: stepped, points: { show: false } },
          {
            label: hasSl ? data.labels.service_level_pct : data.labels.service_level_pct + " (" + data.labels.not_reported + ")",
            scale: "pct", stroke: "#22c55e", width: 1, paths: stepped, show: hasSl, points: { show: false },
          },
        ],
        axes: [
          {
            stroke: "#9aa7b4", grid: { stroke: "#26303b" },
            values: function (u, splits) { return splits.map(function (v) { return hhmm(tzDate(v)); }); },
          },
          { scale: "n", stroke: "#f59e0b", grid: { stroke: "#26303b" } },
          { scale: "s", side: 1, stroke: "#ef4444", grid: { show: false } },
          { scale: "pct", side: 1, stroke: "#22c55e", grid: { show: false }, show: hasSl },
        ],
      };
      var chart = new uPlot(
        opts,
        [queue.x, queue.calls_waiting, queue.longest_wait_s, queue.service_level_pct],
        figure
      );
      charts.push({ chart: chart, figure: figure });
    });

    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        charts.forEach(function (c) { c.chart.setSize({ width: width(c.figure), height: 180 }); });
      }, 150);
    });
  }

  // The Content-Security-Policy forbids inline handlers and style attributes: the account
  // picker and the timeline's hour ticks are wired up here instead.
  function wire() {
    var picker = document.getElementById("report-account");
    if (picker) {
      picker.addEventListener("change", function () {
        window.location = picker.value + "?day=" + (picker.form.day.value || "");
      });
    }
    document.querySelectorAll(".timeline-head .hours span[data-left]").forEach(function (tick) {
      tick.style.left = tick.dataset.left + "%";
    });
    build();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
