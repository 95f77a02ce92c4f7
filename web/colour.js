// Colouring the map: the values of the layer shown (from state.js) become
// colour classes (deciles, or a fixed scale), set as each area's
// feature-state, with the legend that explains them and the table view
// kept in step.
import * as M from './model.js';
import { renderLegend as drawLegend, fixedDomain } from './legend.js';
import { renderTable } from './table.js';
import { $, S, SRC, dx, map, meth, scores, currentValues, fieldOf, layerLabel, weightsDefault, indexLayer, insufficientAt } from './state.js';

// ---------- colouring ----------
export function recolour() {
  const t0 = performance.now();
  const values = currentValues();
  S.values = values;
  let breaks;
  let note = '';
  let domain = null;
  if (S.scale === 'fixed') {
    domain = fixedDomain(fieldOf(S.layer), values);
    breaks = M.fixedBreaks(domain[0], domain[1]);
  } else {
    breaks = M.decileBreaks(values);
    note = S.fromTiles ? 'Deciles of the areas loaded on the map.'
      : S.norm === 'selection' && S.selResult ? 'Deciles of the selection.' : S.wards ? 'Deciles of ward values (per area).' : 'Deciles of all areas.';
  }
  if (S.layer === 'index' && !weightsDefault()) note += ' Re-weighted in your browser.';
  // With every weight at 0 no area has an index: say so rather than draw a grey map.
  const noWeight = S.layer === 'index' && !values.some(Number.isFinite) && M.reweight(meth, scores, S.weights).every((v) => !Number.isFinite(v));
  $('weights-message').hidden = !noWeight;
  if (noWeight) note = 'Set at least one weight above zero: with every weight at 0 no area has an index.';
  S.breaks = breaks;
  // Areas outside a selection differ from areas without data.
  const gap = S.norm === 'selection' && S.selResult && (S.layer === 'index' || S.layer.startsWith('c_')) ? M.CLASS_OUTSIDE : M.CLASS_MISSING;
  // The default view is what the style's fallback (the tiles' index with
  // deciles of all areas) already draws: clear the classes instead of setting every area's.
  const fallback = S.layer === 'index' && weightsDefault() && !S.wards && S.scale !== 'fixed' && gap === M.CLASS_MISSING;
  // An area without an index for want of inputs gets the insufficient-data class.
  const gapOf = indexLayer(S.layer) && gap === M.CLASS_MISSING && !noWeight ? (a) => (insufficientAt(a) ? M.CLASS_INSUFFICIENT : gap) : () => gap;
  setClasses(fallback ? null : values, breaks, gapOf);
  const t1 = performance.now();
  dx.timings.lastRecolourMs = t1 - t0;
  renderLegend(breaks, note.trim(), domain, gapOf);
  if (!$('table-view').hidden) renderTable();
  // Time to the next rendered frame after the paint change.
  map.once('render', () => { dx.timings.lastRecolourFrameMs = performance.now() - t0; });
  map.triggerRepaint();
  return t1 - t0;
}

/**
 * Sets feature-state `k` (the colour class) of every area whose class
 * changed; with `values` null, removes it so the style's fallback applies.
 */
export function setClasses(values, breaks, gapOf) {
  const n = scores.code.length;
  if (!S.classes) S.classes = new Int8Array(n).fill(-1);
  for (let a = 0; a < n; a++) {
    let k = -1;
    if (values) {
      const v = values[a];
      k = Number.isFinite(v) ? M.classOf(v, breaks) : gapOf(a);
    } else if (gapOf(a) === M.CLASS_INSUFFICIENT) {
      k = M.CLASS_INSUFFICIENT; // the style's fallback would draw it as no data
    }
    if (S.classes[a] !== k) {
      map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: scores.code[a] }, { k: k < 0 ? null : k });
      S.classes[a] = k;
    }
  }
}

export function renderLegend(breaks, note, domain, gapOf) {
  const values = S.values ?? [];
  // With every weight at 0 no area has an index for want of weight, not of data.
  const counts = { insufficient: indexLayer(S.layer) && $('weights-message').hidden ? 0 : null, missing: 0, outside: 0 };
  values.forEach((v, a) => {
    if (Number.isFinite(v)) return;
    const g = gapOf(a);
    if (g === M.CLASS_INSUFFICIENT) counts.insufficient++;
    else if (g === M.CLASS_OUTSIDE) counts.outside++;
    else counts.missing++;
  });
  const field = fieldOf(S.layer);
  const suffix = S.wards ? (field?.rollup === 'sum' ? ' (ward totals)' : ' (ward averages, population-weighted)') : '';
  const group = (meth.personas ?? []).find((p) => S.layer === `k_${p.id}_share` || S.layer === `k_${p.id}_count`);
  drawLegend($('legend'), { field, title: layerLabel(S.layer), suffix, breaks, values, domain, note, counts, groupId: group?.id });
  // Which layer the legend now describes: key-group layers load their values
  // first, so the legend can lag the layer picker.
  $('legend').dataset.layer = S.layer;
}
