// Draws the insights charts from the JSON block the page renders (no inline scripts: CSP).
(function () {
  "use strict";

  function human(unit, raw) {
    if (raw === "" || raw === null || raw === undefined) return "n/a";
    var v = Number(raw);
    if (unit === "fraction") return (v * 100).toFixed(1) + "%";
    if (unit === "seconds") return v < 3600 ? (v / 60).toFixed(1) + " min" : (v / 3600).toFixed(1) + " h";
    if (unit === "minutes") return v.toFixed(0) + " min";
    return Number.isInteger(v) ? String(v) : v.toFixed(2);
  }

  document.querySelectorAll("[data-unit]").forEach(function (el) {
    el.textContent = human(el.dataset.unit, el.dataset.value);
  });

  var block = document.getElementById("insights-charts");
  if (!block || typeof Chart === "undefined") return;
  var charts = JSON.parse(block.textContent);
  var palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) canvas.chart = new Chart(canvas, config);
  }

  var backlog = charts.backlog;
  draw("chart-backlog", {
    type: "line",
    data: {
      labels: backlog.labels,
      datasets: Object.keys(backlog.series).map(function (queue, i) {
        return { label: queue, data: backlog.series[queue], borderColor: palette[i % palette.length], tension: 0.25, pointRadius: 0 };
      }),
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "open items" } } } },
  });

  draw("chart-sla", {
    type: "line",
    data: { labels: charts.sla.labels, datasets: [{ label: "SLA attainment %", data: charts.sla.values, borderColor: "#059669", spanGaps: true }] },
    options: { scales: { y: { min: 0, max: 100 } } },
  });

  draw("chart-tta", {
    type: "bar",
    data: { labels: charts.tta.labels, datasets: [{ label: "items", data: charts.tta.values, backgroundColor: "#2563eb" }] },
    options: { plugins: { legend: { display: false } } },
  });

  var cap = charts.capacity;
  var regionSets = Object.keys(cap.by_region).map(function (region, i) {
    return { type: "bar", label: "on shift: " + region, data: cap.by_region[region], backgroundColor: palette[(i + 2) % palette.length], stack: "staff", yAxisID: "heads" };
  });
  draw("chart-capacity", {
    data: {
      labels: cap.labels,
      datasets: [
        { type: "line", label: "forecast arrivals / h", data: cap.arrivals, borderColor: "#111827", pointRadius: 0, yAxisID: "arrivals" },
        { type: "line", label: "required heads", data: cap.required, borderColor: "#dc2626", borderDash: [4, 3], pointRadius: 0, yAxisID: "heads" },
      ].concat(regionSets),
    },
    options: {
      scales: {
        x: { stacked: true, ticks: { maxTicksLimit: 28 } },
        heads: { stacked: true, beginAtZero: true, position: "left", title: { display: true, text: "heads" } },
        arrivals: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "arrivals" } },
      },
    },
  });

  var table = document.getElementById("gap-heatmap");
  if (table) {
    var head = document.createElement("tr");
    head.appendChild(document.createElement("th"));
    for (var h = 0; h < 24; h++) {
      var th = document.createElement("th");
      th.textContent = String(h).padStart(2, "0");
      head.appendChild(th);
    }
    table.tHead.appendChild(head);
    cap.gap_grid.forEach(function (row, d) {
      var tr = document.createElement("tr");
      var label = document.createElement("th");
      label.textContent = cap.days[d];
      tr.appendChild(label);
      row.forEach(function (gap) {
        var td = document.createElement("td");
        td.textContent = gap;
        var strength = Math.min(1, Math.abs(gap) / 5);
        td.style.backgroundColor = gap < 0 ? "rgba(220,38,38," + (0.15 + 0.75 * strength) + ")" : gap > 0 ? "rgba(5,150,105," + (0.1 + 0.5 * strength) + ")" : "#f3f4f6";
        tr.appendChild(td);
      });
      table.tBodies[0].appendChild(tr);
    });
  }
})();
