// The panel's types of need. In: an area's `needs` from /api/areas/{code}
// (each need type with its head-count, the upper bound, and the key groups
// behind it with their head-counts and cited reasons). Out: HTML listing the
// area's likely needs, largest first. Groups overlap, so a need's head-count
// is the largest group behind it, with the bound the server states.

import { esc } from './format.js';
const people = (x) => (x === null || x === undefined || !Number.isFinite(x) ? 'no estimate' : Math.round(x).toLocaleString('en-GB'));

/** A need's head-count in words: "at least 420 residents (the largest group behind it), at most 910". */
export function needCountWords(n) {
  if (n.count === null || n.count === undefined) return 'no estimate for this area';
  const about = `at least ${people(n.count)} residents (the largest group behind it)`;
  if (n.upper === null || n.upper === undefined || Math.round(n.upper) <= Math.round(n.count)) return about;
  return `${about}, at most ${people(n.upper)}`;
}

/** The panel's needs section for an area detail `d`. */
export function needsHtml(d) {
  const needs = (d.needs ?? []).filter((n) => n.groups?.length);
  if (!needs.length) return '';
  const sorted = [...needs].sort((a, b) => (b.count ?? -1) - (a.count ?? -1));
  const items = sorted.map((n) => {
    const groups = n.groups.map((g) => `<li>${esc(g.label)}: ${people(g.count)} <span class="meta">— ${esc(g.reason)} Source: ${esc(g.source)}.</span></li>`).join('');
    return `<li data-need="${esc(n.id)}"><strong>${esc(n.label)}</strong>: ${esc(needCountWords(n))}.
      <span class="meta">${esc(n.description)}</span><ul>${groups}</ul></li>`;
  }).join('');
  return `<h3>Likely needs</h3>
    <p class="meta">Types of support residents here may need, from the key groups behind each. Groups overlap, so a need's head-count is the largest group behind it, not their sum.</p>
    <ul class="needs">${items}</ul>`;
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
