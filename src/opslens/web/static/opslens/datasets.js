// opslens datasets: a click on an activity or a path of the process map (in its frame) lists
// the cases behind it in the "cases through a step" panel.
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) return;
    var data = event.data;
    if (!data || data.source !== "opslens-map") return;
    if (data.kind === "view") {
      // the BPMN download follows the map: the paths it shows and its swimlanes
      var link = document.getElementById("bpmn-link");
      if (!link) return;
      var href = link.dataset.base;
      var extra = [];
      if (typeof data.min === "number") extra.push("min=" + encodeURIComponent(String(data.min)));
      if (data.lanes) extra.push("lanes=" + encodeURIComponent(data.lanes));
      if (extra.length) href += (href.slice(-1) === "?" ? "" : "&") + extra.join("&");
      link.setAttribute("href", href);
      return;
    }
    var box = document.getElementById("cases");
    if (!box || !window.htmx) return;
    var query = "";
    var select = document.getElementById("case-activity");
    if (data.activity) {
      query = "activity=" + encodeURIComponent(data.activity);
      if (select) select.value = data.activity;
    } else if (data.from && data.to) {
      query = "source=" + encodeURIComponent(data.from) + "&target=" + encodeURIComponent(data.to);
      if (select) select.value = "";
    }
    if (!query) return;
    window.htmx.ajax("GET", box.dataset.url + "?" + query, { target: "#cases", swap: "innerHTML" });
  });
})();
