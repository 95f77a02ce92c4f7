// The map legend. In: the shown layer's field from /api/meta `fields`
// (label, kind, unit, description, what a higher value means), the class
// breaks and the values drawn, and the counts of areas with insufficient
// data, no data or outside a selection. Out: the legend's elements (title, what
// the layer is, its unit and direction, one row per colour class that holds
// areas, then the gap classes that hold areas, with their counts). A layer
// whose values are all equal gets one class, a flag "Yes" and "No", never
// "0% to 0%".
import * as M from './model.js';
import { h, replace } from './dom.js';
import { formatValue, distinctDigits, niceCeil, unitText, isProportion, isPercent } from './format.js';

/** Lowest and highest finite value (null when there is none). */
export function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values ?? []) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * The fixed scale of a field: 0–100% for proportions and percentages, else
 * from 0 (or the lowest value, if negative) to a round number at or above
 * the highest value, so a score whose highest value is 5.2 runs 0–5.5, not 0–10.
 */
export function fixedDomain(field, values) {
  if (isProportion(field) || field?.kind === 'flag') return [0, 1];
  if (isPercent(field)) return [0, 100];
  const e = extent(values);
  if (!e) return [0, 1];
  const lo = Math.min(0, e[0]);
  return [lo, lo + niceCeil(e[1] - lo)];
}

/**
 * The legend's colour classes: `[{colour, label, cls}]` for the classes
 * that hold at least one value. `domain` ([lo, hi]) for a fixed scale,
 * null for quantile breaks (ranges then run from the lowest to the highest value).
 */
export function legendClasses(field, breaks, values, domain = null) {
  const e = extent(values);
  if (!e) return [];
  if (field?.kind === 'flag') {
    const seen = new Set([...values].filter(Number.isFinite).map((v) => (v ? 1 : 0)));
    return [0, 1].filter((v) => seen.has(v)).map((v) => ({ cls: M.classOf(v, breaks), colour: M.PALETTE[M.classOf(v, breaks)], label: v ? 'Yes' : 'No' }));
  }
  const stops = [];
  let last = -Infinity;
  breaks.forEach((b, i) => { if (b > last) { stops.push([b, i + 1]); last = b; } });
  const [lo, hi] = domain ?? e;
  const bounds = [[Math.min(lo, e[0]), 0], ...stops];
  const top = Math.max(hi, e[1]);
  const digits = distinctDigits(field, [...bounds.map((b) => b[0]), top]);
  const f = (v) => formatValue(field, v, digits);
  const out = [];
  bounds.forEach(([from, cls], k) => {
    const to = k + 1 < bounds.length ? bounds[k + 1][0] : top;
    // A class holds values in [from, to) (the last also its top): skip empty
    // ones, and name a class holding one value by that value alone.
    let min = Infinity, max = -Infinity;
    for (const v of values) if (Number.isFinite(v) && v >= from && (k + 1 < bounds.length ? v < to : v <= to)) { min = Math.min(min, v); max = Math.max(max, v); }
    if (min > max && !domain) return;
    const one = !domain && min === max;
    const range = one ? f(min) : f(from) === f(to) ? f(from) : `${f(from)} to ${f(to)}`;
    out.push({ cls, colour: M.PALETTE[cls], label: range });
  });
  if (out.length === 1 && e[0] === e[1]) out[0].label = `All areas: ${f(e[0])}`;
  if (!domain && stops.length === 9 && out.length === 10) out.forEach((c, k) => { c.label = `Decile ${k + 1}: ${c.label}`; });
  return out;
}

/** What darker means for a field. */
export function darkerText(field) {
  return field?.higher ? `Darker = ${field.higher}.` : 'Darker = a higher value.';
}

/**
 * Draws the legend into `el`. `o`: {field, title, suffix, breaks, values,
 * domain, note, counts: {insufficient, missing, outside} (null: not shown),
 * groupId (a key group whose definition is one click away)}.
 */
export function renderLegend(el, o) {
  const classes = legendClasses(o.field, o.breaks, o.values, o.domain);
  const n = (k) => `${k.toLocaleString('en-GB')} area${k === 1 ? '' : 's'}`;
  const item = (colour, label, cls = null) => h('li', { class: cls }, h('span', { class: 'swatch', style: { background: colour } }), label);
  const items = classes.map((c) => item(c.colour, c.label));
  const c = o.counts ?? {};
  const known = (k) => k !== null && k !== undefined;
  // A gap class with no areas is not listed. Insufficient data is listed only
  // with a count (null: the layer has no such class); "No data" with an
  // unknown count stays, as some areas may lack a value and the map would
  // draw them in its colour.
  if (known(c.insufficient) && c.insufficient > 0) items.push(item(M.INSUFFICIENT, `Insufficient data (${n(c.insufficient)})`, 'gap'));
  if (!known(c.missing) || c.missing > 0) items.push(item(M.MISSING, `No data${known(c.missing) ? ` (${n(c.missing)})` : ''}`, 'gap'));
  if (c.outside) items.push(item(M.OUTSIDE, `Outside the selection (${n(c.outside)})`, 'gap'));
  const unit = unitText(o.field);
  replace(el,
    h('p', { class: 'hint' }, h('strong', null, o.title), o.suffix),
    o.field?.description && h('p', { class: 'hint legend-about' }, o.field.description),
    h('p', { class: 'hint' }, `${unit ? `Unit: ${unit}. ` : ''}${darkerText(o.field)} ${o.note ?? ''}`),
    o.groupId && h('button', { type: 'button', class: 'link', 'data-about-group': o.groupId }, 'What is this group?'),
    h('ol', null, items));
}
