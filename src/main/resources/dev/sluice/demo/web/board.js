// The market board: two plain EventSources on the hub, one for every symbol's quotes (a URI
// template, latest values first with snapshot=1) and one for the selected symbol's bars (from
// history with lastEventID=earliest). Counters live in #status's data-* attributes.
(function () {
  'use strict';
  const HUB = '/.well-known/mercure';
  const QUOTES = 'https://sluice.example/quotes/{symbol}';
  const barTopic = (interval, symbol) => 'https://sluice.example/bars/' + interval + '/' + symbol;
  const MAX_BARS = 180;

  const status = document.getElementById('status');
  const tbody = document.querySelector('#board tbody');
  const picker = document.getElementById('symbol');
  const canvas = document.getElementById('chart');
  const connection = document.getElementById('connection');
  const connectionText = document.getElementById('connection-text');
  const counts = { received: 0, replayed: 0, gaps: 0, reconnects: 0, duplicates: 0, stale: 0, thinned: 0, quotes: 0, bars: 0, drops: 0 };
  const rows = new Map();          // symbol -> {tr, cells, seq}
  const barSeq = new Map();        // bar topic -> last seq
  const gapLog = [];               // every gap seen: topic, the seq before it and the one after
  let bars = [];                   // the selected symbol's 1 s bars, oldest first
  let selected = new URLSearchParams(location.search).get('symbol');
  let minLag = Infinity;           // smallest (arrival − event time): clock offset plus fastest delivery
  let lastReplayBurst = 0;

  function url(topics, extra) {
    return HUB + '?' + topics.map(t => 'topic=' + encodeURIComponent(t)).join('&') + (extra || '');
  }

  // One stream: a plain EventSource, reopened with lastEventID after a manual drop.
  function stream(name, topicsFn, firstQuery, onData) {
    const s = { name, es: null, lastId: null, opens: 0, openedAt: 0, state: 'connecting' };
    s.open = function (resumeFrom) {
      const query = resumeFrom ? '&lastEventID=' + encodeURIComponent(resumeFrom) : firstQuery();
      s.es = new EventSource(url(topicsFn(), query));
      s.state = 'connecting';
      s.es.onopen = () => {
        s.opens++;
        s.openedAt = Date.now();
        if (s.opens > 1 || resumeFrom) { counts.reconnects++; s.resumed = true; lastReplayBurst = 0; }
        s.state = 'open';
        render();
      };
      s.es.onerror = () => { s.state = s.es.readyState === EventSource.CLOSED ? 'dropped' : 'connecting'; render(); };
      s.es.onmessage = e => {
        if (e.lastEventId) s.lastId = e.lastEventId;
        let msg;
        try { msg = JSON.parse(e.data); } catch (err) { return; }
        counts.received++;
        const time = msg.ts !== undefined ? msg.ts : msg.start + (msg.interval === '1m' ? 60000 : 1000);
        const lag = Date.now() - time;
        if (s.resumed && time + (isFinite(minLag) ? minLag : 0) < s.openedAt - 100) {
          counts.replayed++; lastReplayBurst++;
        } else {
          minLag = Math.min(minLag, lag);
        }
        onData(msg);
        schedule();
      };
    };
    s.close = () => { if (s.es) s.es.close(); s.state = 'dropped'; };
    return s;
  }

  const board = stream('board', () => [QUOTES], () => '&snapshot=1', onQuote);
  const chart = stream('chart', () => [barTopic('1s', selected), barTopic('1m', selected)], () => '&lastEventID=earliest', onBar);

  function fmt(n) { return n.toFixed(2); }
  function fmtInt(n) { return n.toLocaleString('en-US'); }

  function onQuote(q) {
    counts.quotes++;
    let row = rows.get(q.symbol);
    if (!row) row = addRow(q.symbol);
    if (row.seq !== null) {
      // A throttled stream sends a window's latest quote late, out of log order, so a resume from
      // its id can bring quotes the board has already passed: never show an older price.
      if (q.seq <= row.seq) { counts.stale++; return; }
      if (q.seq > row.seq + 1) counts.thinned += q.seq - row.seq - 1;
    }
    const previous = row.last;
    row.seq = Math.max(row.seq || 0, q.seq);
    row.last = q.last;
    const c = row.cells;
    c.last.textContent = fmt(q.last);
    c.chg.textContent = (q.change >= 0 ? '+' : '') + fmt(q.change);
    c.pct.textContent = (q.changePct >= 0 ? '+' : '') + fmt(q.changePct) + '%';
    c.chg.className = c.pct.className = q.change >= 0 ? 'pos' : 'neg';
    c.bid.textContent = fmt(q.bid);
    c.ask.textContent = fmt(q.ask);
    c.size.textContent = fmtInt(q.size);
    c.vol.textContent = fmtInt(q.volume);
    row.tr.dataset.seq = q.seq;
    row.tr.dataset.last = q.last;
    row.tr.dataset.updates = (+row.tr.dataset.updates || 0) + 1;
    if (previous !== null && previous !== q.last) {
      const cls = q.last > previous ? 'flash-up' : 'flash-down';
      c.last.classList.remove('flash-up', 'flash-down');
      void c.last.offsetWidth; // restart the animation
      c.last.classList.add(cls);
    }
    if (!selected && !choosing) {
      // Let the snapshot fill the board, then chart its first row.
      choosing = setTimeout(() => select(tbody.querySelector('tr[data-symbol]').dataset.symbol), 300);
    }
  }
  let choosing = null;

  function addRow(symbol) {
    const tr = document.createElement('tr');
    tr.dataset.symbol = symbol;
    tr.innerHTML = '<td class="sym"></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td>';
    const td = tr.children;
    td[0].textContent = symbol;
    const row = { tr, seq: null, last: null, cells: { last: td[1], chg: td[2], pct: td[3], bid: td[4], ask: td[5], size: td[6], vol: td[7] } };
    tr.addEventListener('click', () => select(symbol));
    const after = [...rows.keys()].filter(s => s > symbol).sort()[0];
    tbody.insertBefore(tr, after ? rows.get(after).tr : null);
    rows.set(symbol, row);
    const option = document.createElement('option');
    option.value = option.textContent = symbol;
    const afterOption = [...picker.options].find(o => o.value > symbol);
    picker.insertBefore(option, afterOption || null);
    if (symbol === selected) { option.selected = true; tr.classList.add('selected'); }
    return row;
  }

  function onBar(b) {
    const topic = barTopic(b.interval, b.symbol);
    const last = barSeq.get(topic);
    if (last !== undefined) {
      if (b.seq > last + 1) {
        counts.gaps += b.seq - last - 1;
        gapLog.push({ topic, after: last, got: b.seq, at: Date.now() });
      }
      if (b.seq <= last) { counts.duplicates++; return; }
    }
    barSeq.set(topic, b.seq);
    if (b.symbol !== selected) return;
    counts.bars++;
    if (b.interval === '1m') {
      document.getElementById('bar-1m').textContent = '1m: O ' + fmt(b.open) + ' H ' + fmt(b.high) + ' L ' + fmt(b.low)
        + ' C ' + fmt(b.close) + ' V ' + fmtInt(b.volume) + ' (' + b.trades + ' trades)';
      return;
    }
    bars.push(b);
    if (bars.length > MAX_BARS) bars.splice(0, bars.length - MAX_BARS);
  }

  function select(symbol) {
    if (symbol === selected && chart.es) return;
    selected = symbol;
    for (const [s, row] of rows) row.tr.classList.toggle('selected', s === symbol);
    picker.value = symbol;
    bars = [];
    for (const key of [...barSeq.keys()]) barSeq.delete(key);
    chart.close();
    chart.opens = 0; chart.resumed = false; chart.lastId = null;
    chart.open(null);
    history.replaceState(null, '', '?symbol=' + encodeURIComponent(symbol));
    schedule();
  }
  picker.addEventListener('change', () => select(picker.value));

  document.getElementById('drop').addEventListener('click', () => {
    counts.drops++;
    board.close(); chart.close();
    render();
    setTimeout(() => { board.open(board.lastId); chart.open(chart.lastId); }, 1500);
  });

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; render(); }, 100);
  }

  function render() {
    for (const [k, v] of Object.entries(counts)) status.dataset[k] = v;
    for (const k of ['received', 'replayed', 'gaps', 'reconnects', 'thinned']) document.getElementById(k).textContent = fmtInt(counts[k]);
    document.getElementById('gaps-stat').className = 'stat ' + (counts.gaps === 0 ? 'good' : 'bad');
    const states = [board.state, chart.state];
    const state = states.every(s => s === 'open') ? 'open' : states.includes('dropped') ? 'dropped' : 'connecting';
    connection.dataset.state = state;
    connectionText.textContent = (state === 'open' ? 'live' : state === 'dropped' ? 'dropped' : 'reconnecting…')
      + ' · ' + counts.reconnects + ' reconnects' + (counts.reconnects ? ' · ' + lastReplayBurst + ' replayed after the last' : '');
    canvas.dataset.symbol = selected || '';
    canvas.dataset.bars = window.SluiceChart.candles(canvas, bars, { height: 360 });
  }

  // Leaving the page (also into the back/forward cache) closes the streams; coming back resumes them.
  window.addEventListener('pagehide', () => { board.close(); chart.close(); });
  window.addEventListener('pageshow', e => { if (e.persisted) { board.open(board.lastId); chart.open(chart.lastId); } });

  board.open(null);
  if (selected) { const s = selected; selected = null; select(s); }
  render();
  window.addEventListener('resize', render);
  // For tests and the curious: what the chart stream asked for and which symbols its bars were of.
  window.sluiceDemo = {
    counts,
    chartUrl: () => chart.es ? chart.es.url : null,
    chartSymbols: () => [...new Set(bars.map(b => b.symbol))],
    boardUrl: () => board.es ? board.es.url : null,
    gapLog,
  };
})();
