// Plain SVG charts: a column chart (the 14-day trend) and a bar chart (breakdowns, rates).

import { h, s } from './dom.js';

export function columnChart(points, { title, height = 180, barClass = 'bar' } = {}) {
  const width = Math.max(320, points.length * 44);
  const top = 18, bottom = 28, plot = height - top - bottom;
  const max = Math.max(1, ...points.map((point) => point.value));
  const step = width / Math.max(points.length, 1);
  const bars = points.map((point, index) => {
    const barHeight = Math.round((point.value / max) * plot);
    const x = index * step + step * 0.18;
    const y = top + plot - barHeight;
    return s('g', { class: 'column' },
      s('title', {}, `${point.label}：${point.value}`),
      s('rect', { class: barClass, x, y, width: step * 0.64, height: Math.max(barHeight, 1) }),
      s('text', { class: 'value', x: x + step * 0.32, y: y - 4, 'text-anchor': 'middle' }, point.value),
      s('text', { class: 'axis', x: x + step * 0.32, y: height - 8, 'text-anchor': 'middle' }, point.label));
  });
  return h('figure', { class: 'chart' },
    s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title || '' },
      s('line', { class: 'baseline', x1: 0, x2: width, y1: top + plot, y2: top + plot }), bars),
    title ? h('figcaption', {}, title) : null);
}

export function barChart(items, { title, format = (value) => String(value), max } = {}) {
  const rowHeight = 26, labelWidth = 120, width = 460;
  const top = Math.max(max || 0, 1e-9, ...items.map((item) => item.value || 0));
  const rows = items.map((item, index) => {
    const y = index * rowHeight;
    const barWidth = Math.round(((item.value || 0) / top) * (width - labelWidth - 70));
    return s('g', { class: 'row' },
      s('title', {}, `${item.label}：${format(item.value)}`),
      s('text', { class: 'axis', x: labelWidth - 8, y: y + 17, 'text-anchor': 'end' }, shortLabel(item.label)),
      s('rect', { class: item.className || 'bar', x: labelWidth, y: y + 5, width: Math.max(barWidth, 1), height: 16 }),
      s('text', { class: 'value', x: labelWidth + Math.max(barWidth, 1) + 6, y: y + 17 }, format(item.value)));
  });
  const height = Math.max(rowHeight, items.length * rowHeight);
  return h('figure', { class: 'chart' },
    s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title || '' }, rows),
    title ? h('figcaption', {}, title) : null);
}

const LABEL_CHARACTERS = 8;

function shortLabel(text) {  // the whole label is the row's tooltip
  const characters = [...String(text)];
  return characters.length > LABEL_CHARACTERS ? `${characters.slice(0, LABEL_CHARACTERS - 1).join('')}…` : String(text);
}

export function percent(value) {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}
