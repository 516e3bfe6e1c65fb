/*
 * The HTML report's script: sortable tables (by mouse and keyboard: each header is a button) and the
 * 401 chart (uPlot, inlined before this script) with times in the report's zone as 24-hour ISO, the
 * incidents as numbered bands, and the values under the cursor in the page's one legend.
 * Inlined into the page at render time under a hash in its CSP.
 */
'use strict';

(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);

  /** A cell's sort value: the number in data-v when there is one, else its text. */
  function sortValue(cell) {
    return cell.hasAttribute('data-v') ? Number(cell.getAttribute('data-v')) : cell.textContent;
  }

  function sortBy(table, th, col) {
    var desc = th.getAttribute('aria-sort') !== 'descending';
    table.querySelectorAll('th[aria-sort]').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = sortValue(a.cells[col]);
      var y = sortValue(b.cells[col]);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return desc ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('thead th').forEach(function (th, col) {
      var button = th.querySelector('button');
      if (button) button.addEventListener('click', function () { sortBy(table, th, col); });
    });
  });

  var el = document.getElementById('chart');
  if (!el || data.t.length < 2 || typeof uPlot === 'undefined') return;

  var clock = new Intl.DateTimeFormat('en-CA', {
    timeZone: data.tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });

  /** [date, time] of an epoch second in the report's zone: ["2026-11-20", "07:25"]. */
  function wallTime(ts) {
    var p = {};
    clock.formatToParts(new Date(ts * 1000)).forEach(function (x) { p[x.type] = x.value; });
    return [p.year + '-' + p.month + '-' + p.day, p.hour + ':' + p.minute];
  }

  /** Axis labels: the time, with the date on the first tick and wherever the day changes. */
  function axisLabels(u, splits) {
    var lastDay = null;
    var labels = splits.map(function (ts) {
      var w = wallTime(ts);
      var label = w[0] === lastDay ? w[1] : w[0] + '\n' + w[1];
      lastDay = w[0];
      return label;
    });
    el.setAttribute('data-axis-labels', labels.join('|').replace(/\n/g, ' '));
    return labels;
  }

  var band = { attack: 'rgba(192,38,45,0.16)', misconfiguration: 'rgba(179,95,0,0.18)', anomaly: 'rgba(109,63,192,0.16)' };
  var ink = { attack: '#c0262d', misconfiguration: '#b35f00', anomaly: '#6d3fc0' };
  var readout = document.getElementById('chart-readout');

  function bands(u) {
    var ctx = u.ctx;
    data.incidents.forEach(function (i) {
      var x0 = u.valToPos(i.start, 'x', true);
      var x1 = u.valToPos(Math.max(i.end, i.start + data.step), 'x', true);
      ctx.fillStyle = band[i.kind] || 'rgba(0,0,0,0.1)';
      ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
    });
  }

  /** Each band's incident number at its top, in its kind's colour: the legend and the cards say the rest. */
  function bandLabels(u) {
    var ctx = u.ctx;
    var px = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = 'bold ' + Math.round(12 * px) + 'px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    var placed = data.incidents.map(function (i) {
      var x = u.valToPos(i.start, 'x', true) + 3 * px;
      var y = u.bbox.top + 3 * px;
      ctx.fillStyle = ink[i.kind] || '#333';
      ctx.fillText(String(i.n), x, y);
      return i.n + '@' + Math.round(x) + ',' + Math.round(y);
    });
    ctx.restore();
    // Where each number was drawn (canvas pixels): the page's tests read the label's ink there.
    el.setAttribute('data-band-labels', placed.join(' '));
    document.documentElement.setAttribute('data-chart-points', String(data.t.length));
  }

  function showCursor(u) {
    var i = u.cursor.idx;
    if (!readout) return;
    if (i === null || i === undefined) {
      readout.textContent = '';
      return;
    }
    var w = wallTime(data.t[i]);
    readout.textContent = w[0] + ' ' + w[1] + ' (' + data.tz + '): ' + data.requests[i].toLocaleString('en-US') + ' requests, ' + data.unauthorized[i].toLocaleString('en-US') + ' × 401';
  }

  function size() {
    var width = Math.max(200, el.clientWidth);
    return { width: width, height: width < 520 ? 220 : 300 };
  }

  var s = size();
  var chart = new uPlot({
    width: s.width,
    height: s.height,
    legend: { show: false },
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), data.tz); },
    scales: { x: { time: true } },
    series: [
      {},
      { label: 'requests', stroke: '#8a94ad', width: 1, scale: 'y' },
      { label: '401s', stroke: '#d0434a', width: 2, fill: 'rgba(208,67,74,0.12)', scale: 'y' },
    ],
    axes: [{ values: axisLabels, space: 70 }, { scale: 'y', size: 50 }],
    hooks: { drawClear: [bands], draw: [bandLabels], setCursor: [showCursor] },
  }, [data.t, data.requests, data.unauthorized], el);

  window.addEventListener('resize', function () { chart.setSize(size()); });
})();
