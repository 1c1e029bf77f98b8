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
  // Charts declared in markup: <div class="chart" data-chart="ID"> + json_script ID.
  function initCharts(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.dataset.chart);
      if (!src) return;
      if (window.echarts) {
        var old = window.echarts.getInstanceByDom(el);
        if (old) old.dispose();
      }
      window.opslensStepChart(el, JSON.parse(src.textContent));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { initCharts(event.target); });
})();
