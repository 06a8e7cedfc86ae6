// The dashboard: one EventSource on /dashboard/metrics; each sample holds cumulative counters,
// gauges and latency percentiles. Current values are in #v-<name> (text and data-value).
(function () {
  'use strict';
  const CAPACITY = 120;
  const css = name => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const cards = [
    { id: 'connections', title: 'Connections', unit: 'streams', kind: 'gauge', key: 'connections' },
    { id: 'updates', title: 'Updates', unit: '/s', kind: 'rate', key: 'published' },
    { id: 'deliveries', title: 'Deliveries', unit: '/s', kind: 'rate', key: 'deliveries' },
    { id: 'slow-cuts', title: 'Slow clients cut', unit: '/s', kind: 'rate', key: 'slowCuts', total: true },
    { id: 'conflated', title: 'Conflated updates', unit: '/s', kind: 'rate', key: 'conflated', total: true },
    { id: 'throttled', title: 'Throttled updates', unit: '/s', kind: 'rate', key: 'throttled', total: true },
    { id: 'history', title: 'History', unit: 'updates', kind: 'gauge', key: 'historyEvents' },
    { id: 'publish-latency', title: 'Publish latency (p50, p99)', unit: 'ms', kind: 'latency', match: k => k === 'publish' },
    { id: 'fanout-latency', title: 'Fan-out latency (p50, p99)', unit: 'ms', kind: 'latency',
      match: k => /fan.?out|dispatch|deliver/.test(k) },
  ];
  const root = document.getElementById('cards');
  for (const c of cards) {
    const div = document.createElement('div');
    div.className = 'panel card';
    div.innerHTML = '<h2></h2><div><span class="value" data-value=""></span><span class="unit"></span> <span class="note extra"></span></div><canvas></canvas>';
    div.querySelector('h2').textContent = c.title;
    div.querySelector('.value').id = 'v-' + c.id;
    div.querySelector('.unit').textContent = c.unit;
    root.appendChild(div);
    c.el = div; c.values = []; c.values2 = [];
  }
  const connection = document.getElementById('connection');
  const connectionText = document.getElementById('connection-text');
  let previous = null, samples = 0;

  // The q-quantile of counts per bucket (bounds are upper bounds in ms; one more count, for +Inf),
  // interpolated linearly inside its bucket; null when nothing was counted.
  function quantile(bounds, counts, q) {
    const total = counts.reduce((a, b) => a + b, 0);
    if (total <= 0) return null;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] <= 0) continue;
      if (seen + counts[i] >= q * total) {
        if (i >= bounds.length) return bounds[bounds.length - 1];
        const lower = i === 0 ? 0 : bounds[i - 1];
        return lower + (bounds[i] - lower) * (q * total - seen) / counts[i];
      }
      seen += counts[i];
    }
    return bounds[bounds.length - 1];
  }

  function push(list, v) { list.push(v); if (list.length > CAPACITY) list.shift(); }
  function show(c, value, extra) {
    const v = c.el.querySelector('.value');
    v.dataset.value = value === null ? '' : value;
    v.textContent = value === null ? '–' : (Math.abs(value) >= 100 || Number.isInteger(value) ? Math.round(value).toLocaleString('en-US') : value.toFixed(2));
    c.el.querySelector('.extra').textContent = extra || '';
  }

  function onSample(s) {
    samples++;
    const dt = previous ? (s.ts - previous.ts) / 1000 : 0;
    for (const c of cards) {
      if (c.kind === 'gauge') {
        const v = s[c.key];
        push(c.values, v); show(c, v);
      } else if (c.kind === 'rate') {
        const v = previous && dt > 0 && s[c.key] !== null ? Math.max(0, (s[c.key] - previous[c.key]) / dt) : null;
        push(c.values, v); show(c, v, c.total && s[c.key] !== null ? s[c.key].toLocaleString('en-US') + ' in all' : '');
      } else {
        const key = Object.keys(s.latency || {}).find(c.match);
        const l = key ? s.latency[key] : null;
        if (!l) { push(c.values, null); push(c.values2, null); show(c, null, 'not measured by this gateway'); continue; }
        let p50, p99;
        if (l.bounds) {
          // Percentiles of what was observed since the previous sample, from the bucket counts.
          // (The first sample has nothing to compare with: its counts go back to the start.)
          const before = previous && previous.latency && previous.latency[key];
          const counts = before && before.counts ? l.counts.map((n, i) => n - before.counts[i]) : [];
          p50 = quantile(l.bounds, counts, 0.5); p99 = quantile(l.bounds, counts, 0.99);
          if (p50 === null) { p50 = c.last50 === undefined ? null : c.last50; p99 = c.last99 === undefined ? null : c.last99; }
        } else {
          p50 = l.p50 !== undefined ? l.p50 : l.mean; p99 = l.p99 !== undefined ? l.p99 : l.max;
        }
        c.last50 = p50; c.last99 = p99;
        push(c.values, p50); push(c.values2, p99);
        show(c, p50, 'p99 ' + (p99 === undefined || p99 === null ? '–' : p99.toFixed(2)) + ' ms · '
          + l.count.toLocaleString('en-US') + ' measured');
      }
      const series = [{ values: c.values, color: css('--accent') }];
      if (c.kind === 'latency') series.push({ values: c.values2, color: css('--warn') });
      window.SluiceChart.lines(c.el.querySelector('canvas'), series, { capacity: CAPACITY, min: 0, height: 120 });
    }
    previous = s;
    document.body.dataset.samples = samples;
  }

  const es = new EventSource('/dashboard/metrics');
  window.addEventListener('pagehide', () => es.close());
  es.onopen = () => { connection.dataset.state = 'open'; connectionText.textContent = 'live'; };
  es.onerror = () => { connection.dataset.state = 'connecting'; connectionText.textContent = 'reconnecting…'; };
  es.onmessage = e => { try { onSample(JSON.parse(e.data)); } catch (err) { console.error(err); } };
})();
