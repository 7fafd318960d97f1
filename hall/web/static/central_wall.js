"use strict";
// The wall's two charts (ECharts, on canvas: the page's Content-Security-Policy allows no
// inline style), drawn from the figures the server put in #wall-data, again after each
// refresh (central.js).
(() => {
  const { t } = Hall;
  const FONT = getComputedStyle(document.documentElement).fontFamily;
  const STALE = "#9aa3ad", WAITING = "#b3261e", SATISFIED = "#1b7f3b";
  let charts = [];

  function bars(id, halls, value, label, colour, max) {
    const chart = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      animation: false,
      textStyle: { fontFamily: FONT, fontSize: 22 },
      grid: { left: 8, right: 64, top: 4, bottom: 4, containLabel: true },
      xAxis: { type: "value", minInterval: 1, max, axisLabel: { fontSize: 18 } },
      yAxis: { type: "category", inverse: true, data: halls.map((h) => h.name),
               axisLabel: { fontSize: 20, width: 260, overflow: "truncate" } },
      series: [{ type: "bar", barMaxWidth: 28,
                 data: halls.map((h) => ({ value: value(h) ?? 0, itemStyle: { color: h.stale ? STALE : colour } })),
                 label: { show: true, position: "right", fontSize: 20,
                          formatter: (p) => label(halls[p.dataIndex]) } }],
    });
    return chart;
  }
  // A stale hall's waiting is unknown: no bar, and said so.
  const waiting = (h) => (h.stale ? 0 : h.waiting);
  const waitingLabel = (h) => (h.stale ? t("central.stale") : String(h.waiting));
  const satisfaction = (h) => h.satisfaction;
  const satisfactionLabel = (h) => (h.satisfaction === null ? "–" : `${h.satisfaction}%`);

  function draw() {
    charts.forEach((c) => c.dispose());
    const halls = JSON.parse(document.getElementById("wall-data").textContent);
    charts = [bars("chart-waiting", halls, waiting, waitingLabel, WAITING),
              bars("chart-satisfaction", halls, satisfaction, satisfactionLabel, SATISFIED, 100)];
  }
  draw();
  document.addEventListener("central-redrawn", draw);
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
