// The home page's charts, drawn by the echarts.min.js shipped with the package.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var rectEl = document.getElementById("chart-rect");
  var charts = [];
  if (rectEl && data.rect.units.length === 0) {
    rectEl.textContent = "暂无未完成的整改通知";
    rectEl.classList.add("empty-chart");
  } else if (rectEl) {
    var rect = echarts.init(rectEl);
    rect.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: ["期限内", "已逾期"] },
      grid: { left: 8, right: 16, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.rect.units, inverse: true },
      series: [
        { name: "期限内", type: "bar", stack: "n", data: data.rect.on_time, itemStyle: { color: "#1e63b5" } },
        { name: "已逾期", type: "bar", stack: "n", data: data.rect.overdue, itemStyle: { color: "#c0392b" } }
      ]
    });
    charts.push(rect);
  }
  var platEl = document.getElementById("chart-platforms");
  if (platEl) {
    var plat = echarts.init(platEl);
    plat.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.platforms,
                 label: { formatter: "{b}：{c}" } }]
    });
    charts.push(plat);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
