// Countdowns tick every second against the server's clock (the demo can move its clock, so
// the browser's own time is only used for the seconds that pass after the page loaded).
(function () {
  "use strict";
  var serverNow = Number(document.body.dataset.now || Date.now());
  var offset = serverNow - Date.now();

  function span(ms) {
    var minutes = Math.floor(ms / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    var secs = Math.floor((ms % 60000) / 1000);
    if (days) return days + "天" + hours + "小时" + mins + "分";
    if (hours) return hours + "小时" + mins + "分" + secs + "秒";
    return mins + "分" + secs + "秒";
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Number(el.dataset.due) - now;
      var cell = el.querySelector("a") || el;
      if (left <= 0) {
        cell.textContent = "已逾期 " + span(-left);
        el.classList.add("overdue");
        el.classList.remove("warn");
        var row = el.closest("tr");
        if (row) row.classList.add("overdue-row");
      } else {
        cell.textContent = "剩余 " + span(left);
        el.classList.toggle("warn", left < 86400000);
      }
    });
  }

  if (document.querySelector("[data-due]")) {
    tick();
    setInterval(tick, 1000);
  }
})();
