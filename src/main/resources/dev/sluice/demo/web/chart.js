// Small canvas charts for the demo board and the dashboard: candlesticks and line series.
// No library, nothing fetched: the page works offline.
(function () {
  'use strict';

  function fit(canvas, cssHeight) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.parentElement.clientWidth || 600;
    const height = cssHeight || canvas.clientHeight || 200;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { ctx, width, height };
  }

  function niceTicks(min, max, count) {
    const span = max - min || Math.abs(max) || 1;
    const raw = span / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
    const ticks = [];
    for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) ticks.push(v);
    return { ticks, step };
  }

  function fmt(v, step) {
    const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step)));
    return v.toFixed(decimals);
  }

  const css = name => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

  // bars: [{start, open, high, low, close, volume}], oldest first. Returns how many were drawn.
  function candles(canvas, bars, options) {
    const { ctx, width, height } = fit(canvas, options && options.height);
    ctx.clearRect(0, 0, width, height);
    const left = 8, right = 64, top = 10, bottom = 22;
    const volumeHeight = Math.round((height - top - bottom) * 0.18);
    const priceBottom = height - bottom - volumeHeight - 6;
    if (!bars.length) {
      ctx.fillStyle = css('--dim');
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillText('waiting for 1-second bars…', left + 10, height / 2);
      return 0;
    }
    let lo = Infinity, hi = -Infinity, vmax = 1;
    for (const b of bars) { lo = Math.min(lo, b.low); hi = Math.max(hi, b.high); vmax = Math.max(vmax, b.volume); }
    if (hi === lo) { hi += 0.05; lo -= 0.05; }
    const pad = (hi - lo) * 0.06; hi += pad; lo -= pad;
    const plotWidth = width - left - right;
    const slot = plotWidth / Math.max(bars.length, 60);
    const y = p => top + (hi - p) / (hi - lo) * (priceBottom - top);
    const { ticks, step } = niceTicks(lo, hi, 5);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (const t of ticks) {
      ctx.strokeStyle = css('--line'); ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(left, Math.round(y(t)) + 0.5); ctx.lineTo(width - right, Math.round(y(t)) + 0.5); ctx.stroke();
      ctx.fillStyle = css('--dim'); ctx.fillText(fmt(t, step), width - right + 6, y(t));
    }
    const x0 = left + plotWidth - bars.length * slot;
    const body = Math.max(1, Math.floor(slot * 0.7));
    bars.forEach((b, i) => {
      const cx = Math.round(x0 + i * slot + slot / 2);
      const up = b.close >= b.open;
      const color = b.trades === 0 ? css('--dim') : (up ? css('--up') : css('--down'));
      ctx.strokeStyle = color; ctx.fillStyle = color;
      ctx.beginPath(); ctx.moveTo(cx + 0.5, y(b.high)); ctx.lineTo(cx + 0.5, y(b.low)); ctx.stroke();
      const yo = y(b.open), yc = y(b.close);
      ctx.fillRect(cx - Math.floor(body / 2), Math.min(yo, yc), body, Math.max(1, Math.abs(yc - yo)));
      const vh = b.volume / vmax * volumeHeight;
      ctx.globalAlpha = 0.45;
      ctx.fillRect(cx - Math.floor(body / 2), height - bottom - vh, body, vh);
      ctx.globalAlpha = 1;
      if (i % 15 === 0) {
        const d = new Date(b.start);
        ctx.fillStyle = css('--dim'); ctx.textBaseline = 'alphabetic';
        ctx.fillText(d.toTimeString().slice(0, 8), cx - 22, height - 6);
        ctx.textBaseline = 'middle';
      }
    });
    const last = bars[bars.length - 1];
    ctx.fillStyle = css('--accent');
    ctx.fillRect(width - right + 2, y(last.close) - 8, right - 4, 16);
    ctx.fillStyle = '#fff';
    ctx.fillText(last.close.toFixed(2), width - right + 6, y(last.close));
    return bars.length;
  }

  // series: [{values: [..], color, label}], all the same length (oldest first).
  function lines(canvas, series, options) {
    const { ctx, width, height } = fit(canvas, options && options.height);
    ctx.clearRect(0, 0, width, height);
    const left = 4, right = 52, top = 8, bottom = 8;
    let lo = options && options.min !== undefined ? options.min : Infinity, hi = -Infinity, n = 0;
    for (const s of series) for (const v of s.values) if (v !== null && isFinite(v)) {
      lo = Math.min(lo, v); hi = Math.max(hi, v); n = Math.max(n, s.values.length);
    }
    if (!isFinite(hi)) { lo = 0; hi = 1; }
    if (hi === lo) hi = lo + 1;
    hi += (hi - lo) * 0.1;
    const y = v => top + (hi - v) / (hi - lo) * (height - top - bottom);
    const capacity = (options && options.capacity) || 120;
    const dx = (width - left - right) / (capacity - 1);
    const { ticks, step } = niceTicks(lo, hi, 3);
    ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    for (const t of ticks) {
      ctx.strokeStyle = css('--line'); ctx.beginPath();
      ctx.moveTo(left, Math.round(y(t)) + 0.5); ctx.lineTo(width - right, Math.round(y(t)) + 0.5); ctx.stroke();
      ctx.fillStyle = css('--dim'); ctx.fillText(fmt(t, step), width - right + 6, y(t));
    }
    for (const s of series) {
      ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.beginPath();
      let started = false;
      const offset = capacity - s.values.length;
      s.values.forEach((v, i) => {
        if (v === null || !isFinite(v)) { started = false; return; }
        const px = left + (offset + i) * dx, py = y(v);
        if (!started) { ctx.moveTo(px, py); started = true; } else ctx.lineTo(px, py);
      });
      ctx.stroke();
    }
  }

  window.SluiceChart = { candles, lines };
})();
