// The panel's drivers in plain words. In: an area's `drivers` from
// /api/areas/{code} (each with the area's raw value, the median raw value of
// its scope group, the indicator's direction and the kind of value). Out:
// the panel's section (built with dom.js) saying what raises the area's
// index most compared with a typical area in its scope group, e.g. "Share
// aged 75+ is 20.0%, 3.3 times the median of 6.0% for all areas." The
// numbers are the server's; nothing is re-scored here.

import { formatValue } from './format.js';
import { h, frag } from './dom.js';

/** A driver's raw value or median, formatted as the panel's indicator table formats that field. */
const show = (x, r) => formatValue({ kind: r.kind, unit: r.unit, decimals: r.decimals }, x);

/**
 * One driver as a sentence. Higher-is-risk indicators are above the median
 * ("3.3 times the median", "25% above the median"); lower-is-risk ones, where
 * higher is better, below it ("50% below the median").
 */
export function driverSentence(r) {
  const label = r.label ?? r.indicator;
  const v = show(r.raw, r);
  const m = show(r.median, r);
  const among = r.compared_with ?? 'areas in scope';
  const lower = r.direction === 'lower_is_risk';
  const comparable = Number.isFinite(r.raw) && Number.isFinite(r.median) && r.median > 0 && r.raw >= 0;
  let how;
  if (!comparable) {
    how = lower ? 'below' : 'above';
  } else {
    const ratio = r.raw / r.median;
    if (!lower && ratio >= 1.5) {
      how = `${ratio.toLocaleString('en-GB', { maximumFractionDigits: 1 })} times`;
    } else {
      const p = Math.max(1, Math.round(Math.abs(ratio - 1) * 100));
      how = `${p}% ${lower ? 'below' : 'above'}`;
    }
  }
  return `${label} is ${v}, ${how} the median of ${m} for ${among}.`;
}

/** The panel's drivers section for an area detail `d`: a heading and what stands out, as a fragment. */
export function driversSection(d) {
  const drivers = d.drivers ?? [];
  const among = drivers[0]?.compared_with ?? 'areas in scope';
  const title = h('h3', null, 'What stands out');
  if (d.index === null || d.index === undefined) {
    return frag(title, h('p', { class: 'meta' }, 'No index for this area, so nothing is compared.'));
  }
  if (!drivers.length) {
    return frag(title, h('p', { class: 'meta' }, `No indicator raises this area's index above a typical area's: each is at or better than the median among ${among}.`));
  }
  return frag(title,
    h('p', { class: 'meta' }, `What raises this area's risk index most compared with a typical area (the median) among ${among}, largest effect first.`),
    h('ol', { class: 'drivers' }, drivers.map((r) => h('li', { 'data-indicator': r.indicator }, driverSentence(r)))));
}
