// opslens: the project Gantt chart (ECharts custom series) and inline formset rows.
(function () {
  "use strict";
  var FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif";
  var COLOR = {
    planned: "#4dabf7", critical: "#e03131", done: "#8ce99a", doneCritical: "#ffa8a8",
    lagging: "#f08c00", milestone: "#5f3dc4", link: "#868e96", today: "#1c7ed6"
  };
  var DAY = 86400000;

  function day(iso) {
    var p = iso.split("-");
    return new Date(Number(p[0]), Number(p[1]) - 1, Number(p[2])).getTime();
  }
  function fmt(ms) {
    var d = new Date(ms);
    return (d.getMonth() + 1) + "-" + d.getDate();
  }

  function gantt(el, data) {
    if (!window.echarts || !el) return null;
    var rows = data.rows;
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var lo = Infinity, hi = -Infinity;
    rows.forEach(function (r) {
      if (r.start) { lo = Math.min(lo, day(r.start)); hi = Math.max(hi, day(r.end)); }
      if (r.milestone) { lo = Math.min(lo, day(r.milestone)); hi = Math.max(hi, day(r.milestone) + DAY); }
    });
    var today = day(data.today);
    if (!isFinite(lo)) { lo = today; hi = today + 7 * DAY; }
    hi = Math.max(hi, Math.min(today + DAY, hi + 14 * DAY));
    var bars = rows.map(function (r, i) {
      return r.start ? { value: [i, day(r.start), day(r.end)], row: r } : { value: [i, null, null], row: r };
    });
    function barColor(r) {
      if (r.status === "done") return r.critical ? COLOR.doneCritical : COLOR.done;
      return r.critical ? COLOR.critical : COLOR.planned;
    }
    var barSeries = {
      name: data.names.planned, type: "custom", encode: { x: [1, 2], y: 0 },
      renderItem: function (params, api) {
        if (api.value(1) === null || isNaN(api.value(1))) return null;
        var r = rows[params.dataIndex];
        var a = api.coord([api.value(1), api.value(0)]);
        var b = api.coord([api.value(2), api.value(0)]);
        var h = api.size([0, 1])[1] * 0.46;
        var rect = { x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 3), height: h };
        var children = [{
          type: "rect", shape: rect, style: {
            fill: barColor(r), stroke: r.lagging ? COLOR.lagging : null,
            lineWidth: r.lagging ? 3 : 0, lineDash: r.lagging ? [5, 3] : null
          }
        }];
        var labelX = rect.x + rect.width + 6;
        if (r.milestone) labelX = Math.max(labelX, api.coord([day(r.milestone), api.value(0)])[0] + 12);
        children.push({
          type: "text", silent: true, style: {
            x: labelX, y: a[1], text: fmt(api.value(1)) + " – " + fmt(api.value(2) - DAY) +
              (r.lagging ? "  " + data.names.lagging : ""),
            verticalAlign: "middle", fill: r.lagging ? COLOR.lagging : "#495057",
            font: (r.lagging ? "bold " : "") + "11px " + FONT
          }
        });
        return { type: "group", children: children };
      },
      data: bars, z: 3,
      markLine: {
        silent: true, symbol: "none", lineStyle: { color: COLOR.today, type: "solid", width: 2 },
        label: { formatter: data.names.today + " " + fmt(today), position: "start", color: COLOR.today, fontWeight: "bold" },
        data: [{ xAxis: today }]
      }
    };
    var linkSeries = {
      name: "links", type: "custom", silent: true, z: 2,
      renderItem: function (params, api) {
        var link = data.links[params.dataIndex];
        var from = rows[link.from], to = rows[link.to];
        if (!from.start || !to.start) return null;
        var p = api.coord([day(from.end), link.from]);
        var q = api.coord([day(to.start), link.to]);
        var h = api.size([0, 1])[1] * 0.23;
        var down = q[1] > p[1] ? 1 : -1;
        var x1 = p[0], y1 = p[1], x2 = q[0] - 1, y2 = q[1];
        var points;
        if (x2 - 10 >= x1) {
          points = [[x1, y1], [x1 + 6, y1], [x1 + 6, y2], [x2, y2]];
        } else {
          var ymid = y1 + down * (h + 6);
          points = [[x1, y1], [x1 + 6, y1], [x1 + 6, ymid], [x2 - 10, ymid], [x2 - 10, y2], [x2, y2]];
        }
        var critical = from.critical && to.critical;
        var color = critical ? COLOR.critical : COLOR.link;
        return {
          type: "group", children: [
            { type: "polyline", shape: { points: points }, style: { stroke: color, lineWidth: critical ? 2 : 1.3, fill: null } },
            { type: "polygon", shape: { points: [[x2, y2], [x2 - 7, y2 - 4], [x2 - 7, y2 + 4]] }, style: { fill: color } }
          ]
        };
      },
      data: data.links.map(function (l) { return [l.from, l.to]; })
    };
    var milestones = {
      name: data.names.milestone, type: "scatter", symbol: "diamond", symbolSize: 16, z: 4,
      data: rows.map(function (r, i) {
        if (!r.milestone) return null;
        var late = r.lagging;
        return { value: [day(r.milestone), i], row: r, itemStyle: { color: late ? COLOR.critical : COLOR.milestone, borderColor: "#fff", borderWidth: 1.5 } };
      }).filter(function (x) { return x !== null; }),
      encode: { x: 0, y: 1 }
    };
    chart.setOption({
      textStyle: { fontFamily: FONT },
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var r = p.data && p.data.row;
          if (!r) return "";
          var lines = ["<b>" + r.name + "</b> · " + r.lead, r.status_label + (r.lagging ? " · " + data.names.lagging : "")];
          if (r.start) lines.push(r.start + " – " + fmt(day(r.end) - DAY) + " · " + data.names.slack + ": " + r.slack);
          if (r.milestone) lines.push(data.names.milestone + ": " + r.milestone);
          if (r.critical) lines.push(data.names.critical);
          return lines.join("<br>");
        }
      },
      grid: { left: 8, right: 130, top: 24, bottom: 34, containLabel: true },
      xAxis: {
        type: "time", min: lo - DAY, max: hi + DAY, position: "top",
        splitLine: { show: true, lineStyle: { color: "#edf0f3" } },
        axisLabel: { formatter: function (v) { return fmt(v); }, hideOverlap: true }
      },
      yAxis: {
        type: "category", inverse: true, data: rows.map(function (r) { return r.name + "\n{lead|" + r.lead + "}"; }),
        axisTick: { show: false }, splitLine: { show: true, lineStyle: { color: "#f1f3f5" } },
        axisLabel: { lineHeight: 16, rich: { lead: { color: "#868e96", fontSize: 11 } }, width: 150, overflow: "truncate" }
      },
      series: [linkSeries, barSeries, milestones]
    });
    chart.on("click", function (p) {
      if (p.data && p.data.row && p.data.row.url) window.location.href = p.data.row.url;
    });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  window.opslensCharts = window.opslensCharts || {};
  window.opslensCharts.gantt = gantt;

  // Inline formsets: "Add a row" clones the <template> row with the next index.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".formset .add-row");
    if (!button) return;
    var section = button.closest(".formset");
    var prefix = section.dataset.prefix;
    var total = section.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = section.querySelector("template");
    var index = Number(total.value);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    section.querySelector("tbody").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  });
})();
