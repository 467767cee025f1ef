/* renkou — the small charts of the home page (ECharts, served from the package). The
   page passes every panel's chart in one json_script (id "dashboard-charts"), keyed by
   the panel; each <div data-chart="KEY"> draws its own. Nothing inline, so the
   Content-Security-Policy can forbid inline scripts. */
(function () {
  "use strict";

  var COLORS = ["#b42318", "#1d4ed8", "#116b35", "#7c3aed", "#9a5b00"];

  function empty(el) {
    var note = document.createElement("p");
    note.className = "empty";
    note.textContent = el.getAttribute("data-empty") || "—";
    el.appendChild(note);
    el.style.height = "auto";
  }

  function option(d) {
    var two = d.axes.length > 1;
    return {
      color: COLORS,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: d.series.map(function (s) { return s.name; }) },
      grid: { left: 48, right: two ? 48 : 16, top: 34, bottom: 24 },
      xAxis: { type: "category", data: d.categories, axisTick: { alignWithLabel: true } },
      yAxis: d.axes.map(function (name, i) {
        return { type: "value", name: name, scale: i > 0, splitLine: { show: i === 0 } };
      }),
      series: d.series.map(function (s) {
        return { name: s.name, type: s.kind, yAxisIndex: s.axis, data: s.values,
                 connectNulls: false, symbolSize: 6, barMaxWidth: 28 };
      })
    };
  }

  function draw() {
    var node = document.getElementById("dashboard-charts");
    if (!node || !window.echarts) { return; }
    var charts = JSON.parse(node.textContent);
    var drawn = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
      var d = charts[el.getAttribute("data-chart")];
      if (!d || !d.categories.length) { empty(el); return; }
      var c = window.echarts.init(el, null, { renderer: "canvas" });
      c.setOption(option(d));
      drawn.push(c);
    });
    window.addEventListener("resize", function () {
      drawn.forEach(function (c) { c.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
