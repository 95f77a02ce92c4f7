// The panel's types of need. In: an area's `needs` from /api/areas/{code}
// (each need type with its head-count, the upper bound, and the key groups
// behind it with their head-counts and cited reasons). Out: the panel's
// section (built with dom.js) listing the area's likely needs, largest
// first. Groups overlap, so a need's head-count is the largest group behind
// it, with the bound the server states.

import { h, frag } from './dom.js';
const people = (x) => (x === null || x === undefined || !Number.isFinite(x) ? 'no estimate' : Math.round(x).toLocaleString('en-GB'));

/** A need's head-count in words: "at least 420 residents (the largest group behind it), at most 910". */
export function needCountWords(n) {
  if (n.count === null || n.count === undefined) return 'no estimate for this area';
  const about = `at least ${people(n.count)} residents (the largest group behind it)`;
  if (n.upper === null || n.upper === undefined || Math.round(n.upper) <= Math.round(n.count)) return about;
  return `${about}, at most ${people(n.upper)}`;
}

/** The panel's needs section for an area detail `d`, as a fragment; null when it has none. */
export function needsSection(d) {
  const needs = (d.needs ?? []).filter((n) => n.groups?.length);
  if (!needs.length) return null;
  const sorted = [...needs].sort((a, b) => (b.count ?? -1) - (a.count ?? -1));
  const group = (g) => h('li', null, `${g.label ?? ''}: ${people(g.count)} `, h('span', { class: 'meta' }, `— ${g.reason ?? ''} Source: ${g.source ?? ''}.`));
  const items = sorted.map((n) => h('li', { 'data-need': n.id }, h('strong', null, n.label), `: ${needCountWords(n)}. `,
    h('span', { class: 'meta' }, n.description), h('ul', null, n.groups.map(group))));
  return frag(
    h('h3', null, 'Likely needs'),
    h('p', { class: 'meta' }, "Types of support residents here may need, from the key groups behind each. Groups overlap, so a need's head-count is the largest group behind it, not their sum."),
    h('ul', { class: 'needs' }, items));
}

/** The map layers of the need types in /api/methodology `needs`: `n_<id>_count`. */
export function needLayers(meth) {
  return (meth.needs ?? []).map((n) => `n_${n.id}_count`);
}

/** A need layer's label. */
export function needLabel(meth, layer) {
  const n = (meth.needs ?? []).find((x) => layer === `n_${x.id}_count`);
  return `Type of need: ${n ? n.label : layer} (estimated residents)`;
}

/** A need layer's values by area from /api/key-groups `needs`, or null. */
export function needValues(keyGroups, layer, num) {
  const m = layer.match(/^n_(.+)_count$/);
  const col = m && keyGroups?.needs?.[m[1]]?.count;
  return col ? Float64Array.from(col, num) : null;
}
