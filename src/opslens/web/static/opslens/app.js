// opslens: small helpers shared by every page (no framework; HTMX does partial updates).
(function () {
  "use strict";
  // A form answered with 422 carries its errors: swap it in (the view retargets it).
  document.addEventListener("htmx:load", function () {
    if (window.htmx && !window.htmx.config.opslensConfigured) {
      window.htmx.config.opslensConfigured = true;
      window.htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "422", swap: true },
        { code: "[45]..", swap: false, error: true }
      ];
    }
  });
  // Confirm destructive actions declared with data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  // ECRS form: show only the fields the chosen kind needs.
  function syncEcrs(form) {
    var kind = form.querySelector("[name=kind]");
    if (!kind) return;
    var need = {
      eliminate: [],
      combine: ["other", "new_hours", "new_name"],
      rearrange: ["position", "parallel_with"],
      simplify: ["new_hours", "new_name"]
    }[kind.value] || [];
    ["other", "position", "parallel_with", "new_hours", "new_name"].forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (!field) return;
      var wrap = field.closest("div");
      if (wrap) wrap.hidden = need.indexOf(name) < 0;
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form.ecrs");
    if (form) syncEcrs(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.ecrs").forEach(syncEcrs);
  });
  // A horizontal bar chart of step hours (ECharts), used on version and compare pages.
  window.opslensStepChart = function (el, data) {
    if (!window.echarts || !el) return;
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var series = data.series.map(function (s) {
      return {
        name: s.name, type: "bar", data: s.values.map(function (v, i) {
          var item = { value: v };
          if (s.highlight && s.highlight[i]) item.itemStyle = { color: "#d9480f" };
          return item;
        }),
        label: { show: true, position: "right", formatter: function (p) { return p.value + " h"; } }
      };
    });
    chart.setOption({
      textStyle: { fontFamily: "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif" },
      color: ["#1c7ed6", "#2f9e44"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { show: data.series.length > 1, top: 0 },
      grid: { left: 8, right: 56, top: data.series.length > 1 ? 28 : 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", name: data.unit || "h" },
      yAxis: { type: "category", inverse: true, data: data.labels, axisLabel: { width: 160, overflow: "truncate" } },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  };
  var FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif";
  var STATUS_COLOR = { met: "#2f9e44", warning: "#f08c00", missed: "#e03131" };
  function fmt(v) {
    if (v === null || v === undefined) return "—";
    return Number(v).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });
  }
  // A KPI's trend: values coloured by status, target and warning as lines.
  window.opslensKpiChart = function (el, data, compact) {
    if (!window.echarts || !el) return;
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var series = [{
      name: data.names.value, type: "line", data: data.values.map(function (v, i) {
        return { value: v, itemStyle: { color: STATUS_COLOR[data.status[i]] || "#1c7ed6" } };
      }), symbolSize: compact ? 6 : 9, lineStyle: { color: "#1c7ed6", width: 2 }, itemStyle: { color: "#1c7ed6" },
      connectNulls: false, z: 3
    }, {
      name: data.names.target, type: "line", data: data.target, step: "middle", symbol: "none",
      lineStyle: { color: "#2f9e44", type: "dashed", width: 1.5 }, itemStyle: { color: "#2f9e44" }
    }, {
      name: data.names.warning, type: "line", data: data.warning, step: "middle", symbol: "none",
      lineStyle: { color: "#f08c00", type: "dotted", width: 1.5 }, itemStyle: { color: "#f08c00" }
    }];
    if (data.target_high && data.target_high.some(function (v) { return v !== null; })) {
      series.push({ name: data.names.target, type: "line", data: data.target_high, step: "middle", symbol: "none",
        lineStyle: { color: "#2f9e44", type: "dashed", width: 1.5 } });
      series.push({ name: data.names.warning, type: "line", data: data.warning_high, step: "middle", symbol: "none",
        lineStyle: { color: "#f08c00", type: "dotted", width: 1.5 } });
    }
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      legend: { show: !compact, bottom: 0, data: [data.names.value, data.names.target, data.names.warning] },
      grid: compact ? { left: 4, right: 8, top: 8, bottom: 4, containLabel: true }
                    : { left: 8, right: 24, top: 28, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { fontSize: compact ? 9 : 12, hideOverlap: true } },
      yAxis: { type: "value", scale: true, name: compact ? "" : data.unit, splitNumber: compact ? 3 : 5,
               axisLabel: { fontSize: compact ? 9 : 12, formatter: function (v) { return fmt(v); } } },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  };
  // Several lines over months (cost variance % by category or by line), with a threshold band.
  window.opslensLineChart = function (el, data) {
    if (!window.echarts || !el) return;
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var series = data.series.map(function (s) {
      return { name: s.name, type: "line", data: s.values, connectNulls: false, symbolSize: 8,
               label: { show: data.series.length === 1, formatter: function (p) { return fmt(p.value) + (data.unit || ""); } } };
    });
    var yAxis = { type: "value", axisLabel: { formatter: function (v) { return fmt(v) + (data.unit || ""); } } };
    if (data.threshold !== undefined && series.length) {
      var t = Number(data.threshold);
      series[0].markLine = { symbol: "none", lineStyle: { color: "#e03131", type: "dashed" },
        label: { position: "insideStartTop", formatter: function (p) { return (p.value > 0 ? "+" : "") + fmt(p.value) + "%"; } },
        data: [{ yAxis: t }, { yAxis: -t }] };
      // keep both threshold lines in view, whatever the values
      yAxis.min = function (v) { return Math.floor(Math.min(v.min, -t * 1.25) / 5) * 5; };
      yAxis.max = function (v) { return Math.ceil(Math.max(v.max, t * 1.25) / 5) * 5; };
    }
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v) + (data.unit || ""); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels },
      yAxis: yAxis,
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  };
  window.opslensPieChart = function (el, data) {
    if (!window.echarts || !el) return;
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}: {c} ({d}%)" },
        data: data.items.map(function (it) {
          return { name: it.name, value: it.value, itemStyle: { color: STATUS_COLOR[it.status] || "#adb5bd" } };
        }) }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  };
  // Charts declared in markup: <div class="chart" data-chart="ID" data-kind="kpi|lines|pie"> + json_script ID.
  function initCharts(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.dataset.chart);
      if (!src) return;
      if (window.echarts) {
        var old = window.echarts.getInstanceByDom(el);
        if (old) old.dispose();
      }
      var data = JSON.parse(src.textContent);
      var kind = el.dataset.kind || "steps";
      var registered = window.opslensCharts && window.opslensCharts[kind];
      if (registered) registered(el, data);
      else if (kind === "kpi") window.opslensKpiChart(el, data, el.classList.contains("spark"));
      else if (kind === "lines") window.opslensLineChart(el, data);
      else if (kind === "pie") window.opslensPieChart(el, data);
      else window.opslensStepChart(el, data);
    });
  }
  // Charts of other modules register here: window.opslensCharts[kind] = function (el, data) {…}.
  window.opslensCharts = window.opslensCharts || {};
  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { initCharts(event.target); });
})();

// Pareto chart (quality): counts as bars, the vital few highlighted, cumulative share as a line
// on a 0–100 % axis with the 80 % mark. Markup: <div class="chart" data-pareto="ID"> + json_script ID.
(function () {
  "use strict";
  var FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif";
  window.opslensParetoChart = function (el, data) {
    if (!window.echarts || !el) return;
    var old = window.echarts.getInstanceByDom(el);
    if (old) old.dispose();
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var many = data.labels.length > 5;
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0, data: [data.names.count, data.names.cumulative] },
      grid: { left: 8, right: 8, top: 28, bottom: 36, containLabel: true },
      xAxis: { type: "category", data: data.labels,
               axisLabel: { interval: 0, rotate: many ? 30 : 0, width: many ? 90 : 110, overflow: "truncate", fontSize: 12 } },
      yAxis: [
        { type: "value", name: data.names.count, minInterval: 1, nameTextStyle: { align: "left" } },
        { type: "value", min: 0, max: 100, interval: 20, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }
      ],
      series: [{
        name: data.names.count, type: "bar", barMaxWidth: 48,
        data: data.counts.map(function (v, i) {
          return { value: v, itemStyle: { color: data.vital[i] ? "#d9480f" : "#9fb3c8" } };
        }),
        itemStyle: { color: "#d9480f" },
        label: { show: true, position: "top" }
      }, {
        name: data.names.cumulative, type: "line", yAxisIndex: 1, data: data.cumulative, symbolSize: 7,
        lineStyle: { color: "#1c5d99", width: 2 }, itemStyle: { color: "#1c5d99" },
        label: { show: true, position: "top", distance: 8, fontSize: 11, color: "#1c5d99",
                 backgroundColor: "rgba(255,255,255,.9)", padding: [1, 3], borderRadius: 3,
                 formatter: function (p) { return p.value + "%"; } },
        markLine: { symbol: "none", silent: true, lineStyle: { color: "#e03131", type: "dashed" },
                    label: { position: "insideEndTop", formatter: "80%" }, data: [{ yAxis: 80 }] }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-pareto]").forEach(function (el) {
      var src = document.getElementById(el.dataset.pareto);
      if (src) window.opslensParetoChart(el, JSON.parse(src.textContent));
    });
  });
})();
