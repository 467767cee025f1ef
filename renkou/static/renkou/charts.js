/* renkou — statistics charts (ECharts, served from the package). The page passes its
   data with Django's json_script (id "chart-data"); nothing inline, so the
   Content-Security-Policy can forbid inline scripts. */
(function () {
  "use strict";

  function fmt(x, digits) {
    return x === null || x === undefined ? "—" : Number(x).toFixed(digits);
  }

  function empty(el) {
    var note = document.createElement("p");
    note.className = "empty";
    note.textContent = el.getAttribute("data-empty") || "—";
    el.appendChild(note);
    el.style.height = "auto";
  }

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    if (!option) { empty(el); return null; }
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  function pyramid(d, L) {
    if (!d) { return null; }
    var neg = d.male.map(function (v) { return v === null ? null : -v; });
    return {
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (items) {
          var lines = [items[0].axisValue];
          items.forEach(function (it) {
            lines.push(it.marker + it.seriesName + ": " + fmt(Math.abs(it.value), 0));
          });
          return lines.join("<br>");
        }
      },
      legend: { top: 0, data: [L.male, L.female] },
      grid: { left: 60, right: 30, top: 36, bottom: 30 },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } },
      yAxis: { type: "category", data: d.ages, axisTick: { show: false } },
      series: [
        { name: L.male, type: "bar", stack: "p", data: neg, itemStyle: { color: "#3b82f6" }, barCategoryGap: "8%" },
        { name: L.female, type: "bar", stack: "p", data: d.female, itemStyle: { color: "#ef4444" } }
      ]
    };
  }

  function trends(d, L) {
    if (!d) { return null; }
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [L.cbr, L.cdr, L.tfr] },
      grid: { left: 50, right: 50, top: 56, bottom: 30 },
      xAxis: { type: "category", data: d.periods },
      yAxis: [
        { type: "value", name: L.permille, scale: true },
        { type: "value", name: L.per_woman, scale: true, splitLine: { show: false } }
      ],
      series: [
        { name: L.cbr, type: "line", data: d.CBR, connectNulls: false, symbolSize: 7 },
        { name: L.cdr, type: "line", data: d.CDR, connectNulls: false, symbolSize: 7 },
        { name: L.tfr, type: "line", yAxisIndex: 1, data: d.TFR, connectNulls: false,
          symbolSize: 7, lineStyle: { type: "dashed" } }
      ]
    };
  }

  function srb(d, L) {
    if (!d) { return null; }
    var bars = d.values.map(function (v, i) {
      return { value: v, itemStyle: { color: d.small[i] ? "#cbd2d9" : "#7c3aed" } };
    });
    var whiskers = d.orders.map(function (name, i) { return [i, d.low[i], d.high[i]]; });
    return {
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (items) {
          var i = items[0].dataIndex;
          var lines = [d.orders[i], L.srb + ": " + fmt(d.values[i], 1),
                       L.interval + ": " + fmt(d.low[i], 1) + "–" + fmt(d.high[i], 1)];
          if (d.births[i] !== null) { lines.push(L.births + ": " + fmt(d.births[i], 0)); }
          if (d.small[i]) { lines.push(L.small); }
          return lines.join("<br>");
        }
      },
      legend: { top: 0, data: [L.srb, L.interval] },
      grid: { left: 50, right: 20, top: 56, bottom: 30 },
      xAxis: { type: "category", data: d.orders },
      yAxis: { type: "value", scale: true, name: L.srb },
      series: [
        { name: L.srb, type: "bar", data: bars, barWidth: "40%",
          markArea: { silent: true, itemStyle: { color: "rgba(17, 107, 53, 0.10)" },
                      label: { show: true, position: "insideTopRight", formatter: L.normal_range },
                      data: [[{ yAxis: 103 }, { yAxis: 107 }]] } },
        { name: L.interval, type: "custom", data: whiskers, z: 10,
          renderItem: function (params, api) {
            if (api.value(1) === null || api.value(2) === null ||
                isNaN(api.value(1)) || isNaN(api.value(2))) { return null; }
            var low = api.coord([api.value(0), api.value(1)]);
            var high = api.coord([api.value(0), api.value(2)]);
            var w = api.size([1, 0])[0] * 0.12;
            var style = { stroke: "#1f2933", lineWidth: 1.5 };
            return { type: "group", children: [
              { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
              { type: "line", shape: { x1: low[0] - w, y1: low[1], x2: low[0] + w, y2: low[1] }, style: style },
              { type: "line", shape: { x1: high[0] - w, y1: high[1], x2: high[0] + w, y2: high[1] }, style: style }
            ] };
          },
          encode: { x: 0, y: [1, 2] } }
      ]
    };
  }

  function months(d, L) {
    if (!d) { return null; }
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: d.periods },
      yAxis: { type: "value", name: L.births, minInterval: 1 },
      series: [{ name: L.births, type: "bar", data: d.values, itemStyle: { color: "#b42318" } }]
    };
  }

  function draw() {
    var node = document.getElementById("chart-data");
    if (!node || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    var L = data.labels;
    chart("chart-pyramid", pyramid(data.pyramid, L));
    chart("chart-trends", trends(data.trends, L));
    chart("chart-srb", srb(data.srb, L));
    chart("chart-months", months(data.months, L));
  }

  function fractions() {
    var box = document.getElementById("show-fractions");
    if (!box) { return; }
    box.addEventListener("change", function () {
      document.body.classList.toggle("show-fractions", box.checked);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { fractions(); draw(); });
})();
