// The detail panel of one area (from /api/areas/{code}): its index, rank
// and decile, re-weighted and within-selection scores, components,
// indicators against their range, drivers, types of need, key groups,
// uncertainty and sources; opening it picks and shows the area, closing it
// gives focus back. Also the phone's controls drawer, which the panel closes.
import { esc, fmt, pct, formatValue, missingText } from './format.js';
import { driversHtml } from './drivers.js';
import { needsHtml } from './needs.js';
import { $, S, SRC, map, meth, scores, codeIndex, boroughByCode, getJson, setStatus, fieldOf, indicatorName, weightsDefault, writeHash, ensureExact, reweightedIndex, rankInScope } from './state.js';

export function areaBounds(code) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  for (const f of map.querySourceFeatures(SRC, { sourceLayer: 'lsoa', filter: ['==', ['get', 'code'], code] })) walk(f.geometry.coordinates);
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

export function focusArea(code) {
  return openPanel(code, { zoom: true });
}

// ---------- panel ----------
/** Why an area has no index, and what it lacks ("" when it has one). */
export function insufficiencyHtml(d) {
  const ids = typeof d.missing_inputs === 'string' ? d.missing_inputs.split(';').filter(Boolean) : [];
  if (d.index_status !== 'insufficient_data') {
    return ids.length ? `<p class="meta" data-field="missing_inputs">Scored without ${esc(ids.map(indicatorName).join(', '))} (no value for this area).</p>` : '';
  }
  const cov = Number.isFinite(d.coverage) ? ` Only ${pct(d.coverage)} of the index weight has a value; the methodology needs ${pct(meth.min_coverage)}.` : '';
  return `<p class="warn" data-field="insufficiency">${esc(missingText(d.index_status, d.missing_inputs, indicatorName))}.${esc(cov)}</p>`;
}

export async function openPanel(code, { focus = true, zoom = false } = {}) {
  let d;
  try {
    d = await getJson('api/areas/' + encodeURIComponent(code));
  } catch (e) {
    setStatus('Could not load area ' + code + ': ' + e.message);
    return;
  }
  if (S.picked) map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: S.picked }, { picked: false });
  S.picked = d.code;
  S.area = d.code;
  map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: d.code }, { picked: true });
  const a = codeIndex.get(d.code);
  let reweighted = '';
  if (!weightsDefault() && a !== undefined) {
    await ensureExact();
    const v = reweightedIndex();
    const rd = rankInScope(v);
    reweighted = `<tr><th scope="row">Re-weighted index (your weights)</th><td class="num">${fmt(v[a])}</td><td data-field="reweighted-rank">rank ${rd.rank[a] ?? '–'}${rd.of[a] ? ` of ${rd.of[a].toLocaleString('en-GB')} (${esc(rd.groupName(a) ?? '')})` : ''}, decile ${rd.decile[a] ?? '–'}</td></tr>`;
  }
  const sr = S.selResult?.get(d.code);
  const selRow = sr ? `<tr><th scope="row">Index within the selection</th><td class="num">${fmt(sr.index)}</td><td>rank ${sr.rank} of ${S.selResult.size}, decile ${sr.decile}</td></tr>` : '';
  const comps = d.components.map((c) => `<tr><th scope="row">${esc(c.label)}</th><td class="num">${fmt(c.score)}</td><td class="barcell"><div class="bar" style="width:${Math.max(0, Math.min(100, (c.score ?? 0) * 10))}%" aria-hidden="true"></div></td><td class="num">${fmt(c.weight, 2)}</td></tr>`).join('');
  const inds = d.indicators.map((i) => {
    const span = i.max - i.min;
    const at = i.raw !== null && i.raw !== undefined && span > 0 ? ((i.raw - i.min) / span) * 100 : null;
    // The raw column's kind and unit (from /api/meta) decide its format.
    const rawField = fieldOf(i.raw_field) ?? { kind: 'value' };
    const rawFmt = (x) => formatValue(rawField, x);
    const missing = i.raw === null || i.raw === undefined;
    return `<tr><th scope="row">${esc(i.label)}</th><td class="num">${missing ? '<span class="meta">no value</span>' : rawFmt(i.raw)}</td><td class="num">${fmt(i.score)}</td><td>${at === null ? '' : `<div class="range" role="img" aria-label="${esc(rawFmt(i.raw))} within the range ${esc(rawFmt(i.min))} to ${esc(rawFmt(i.max))}"><i style="left:${at.toFixed(1)}%"></i></div>`}<span class="meta range-text">${rawFmt(i.min)} – ${rawFmt(i.max)}</span></td></tr>`;
  }).join('');
  const personas = (d.personas ?? []).map((p) => (p.availability?.status === 'unavailable'
    ? `<tr><th scope="row">${esc(p.label)}</th><td colspan="2" class="meta">Not estimated: the data lack ${esc((p.availability.missing_columns ?? []).join(', ') || 'its inputs')}</td></tr>`
    : `<tr><th scope="row"><button type="button" class="link" data-about-group="${esc(p.id)}" title="What is this group?">${esc(p.label)}</button></th><td class="num">${formatValue({ kind: 'count' }, p.count)}</td><td class="num">${pct(p.share)}</td></tr>`)).join('');
  const sens = d.sensitivity ? `<p>Rank likely between <strong>${fmt(d.rank_p05, 0)}</strong> and <strong>${fmt(d.rank_p95, 0)}</strong> (5th–95th percentile over weight and data perturbations); probability of being in the top-risk decile <strong>${pct(d.p_top)}</strong>.</p>` : '<p class="meta">No uncertainty estimate for this area.</p>';
  const sources = (d.sources ?? []).map((s) => `<li>${esc(s.column)}: ${esc(s.dataset)}${s.vintage ? ', ' + esc(s.vintage) : ''}${s.method ? ` <span class="meta">(${esc(s.method)})</span>` : ''}${s.demonstration ? ' <strong>demonstration data</strong>' : ''}</li>`).join('');
  $('panel-body').innerHTML = `
    <h2 id="panel-title" tabindex="-1">${esc(d.name)}</h2>
    <p class="meta">${esc(d.code)} · ward: ${esc(d.ward_name ?? '–')}${d.ward_code ? ' (' + esc(d.ward_code) + ')' : ''} · borough: ${esc(d.borough_name)} (${esc(d.borough_code)})</p>
    ${d.demo ? '<p class="banner">Some values for this area are demonstration data.</p>' : ''}
    <table><tbody>
      <tr><th scope="row">Risk index</th><td class="num" data-field="index">${fmt(d.index)}</td><td>${d.index_status === 'insufficient_data' ? 'no index: insufficient data' : `rank <span data-field="rank">${d.rank ?? '–'}</span> of ${(d.scope_group?.ranked ?? scores.code.length).toLocaleString('en-GB')}${d.scope_group?.name ? ` (${esc(d.scope_group.name)})` : ''}, decile <span data-field="decile">${d.decile ?? '–'}</span>`}</td></tr>
      ${reweighted}${selRow}
    </tbody></table>
    ${insufficiencyHtml(d)}
    <h3>Components</h3>
    <table><thead><tr><th>Component</th><th class="num">Score</th><th><span class="sr-only">Bar</span></th><th class="num">Weight</th></tr></thead><tbody>${comps}</tbody></table>
    <h3>Indicators against the range of all areas</h3>
    <table><thead><tr><th>Indicator</th><th class="num">Value</th><th class="num">Score</th><th>Lowest – highest</th></tr></thead><tbody>${inds}</tbody></table>
    ${driversHtml(d)}
    ${needsHtml(d)}
    <h3>Key groups (estimates)</h3>${personas ? `<table><thead><tr><th>Group</th><th class="num">Residents</th><th class="num">Share</th></tr></thead><tbody>${personas}</tbody></table>` : '<p class="meta">None.</p>'}
    <h3>Uncertainty</h3>${sens}
    <h3>Data sources</h3><ul class="meta">${sources}</ul>`;
  const panel = $('panel');
  if (panel.hidden) panelOpener = document.activeElement;
  panel.hidden = false;
  panel.dataset.code = d.code;
  setDrawer(false, false);
  if (focus) $('panel-title').focus();
  keepVisible(d.code, zoom);
  writeHash();
  return d;
}

/**
 * Keeps the picked area clear of the panel by padding the map by the panel's
 * size; `zoom` also fits the map to the area (search, table), else only pans.
 */
export function keepVisible(code, zoom) {
  const panel = $('panel');
  const canvas = map.getCanvas();
  const wide = getComputedStyle(panel).position === 'absolute';
  const right = wide ? Math.min(panel.offsetWidth, canvas.clientWidth * 0.6) : 0;
  const bottom = getComputedStyle(panel).position === 'fixed' ? Math.min(panel.offsetHeight, canvas.clientHeight * 0.6) : 0;
  const padding = { right, bottom, left: 0, top: 0 };
  const b = areaBounds(code);
  if (zoom && b) {
    map.fitBounds(b, { padding: { right: right + 30, bottom: bottom + 30, left: 30, top: 30 }, maxZoom: 14, duration: 500 });
    map.once('moveend', () => map.setPadding(padding));
  } else if (zoom) {
    const a = codeIndex.get(code);
    const bo = a !== undefined ? boroughByCode.get(scores.borough_code[a]) : null;
    if (bo?.bbox) map.fitBounds([[bo.bbox[0], bo.bbox[1]], [bo.bbox[2], bo.bbox[3]]], { padding: { right: right + 20, bottom: bottom + 20, left: 20, top: 20 }, duration: 500 });
  } else {
    map.easeTo({ padding, center: b ? [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2] : map.getCenter(), duration: 400 });
  }
}

export function closePanel() {
  const wasOpen = !$('panel').hidden;
  map.easeTo({ padding: { right: 0, bottom: 0, left: 0, top: 0 }, duration: 300 });
  $('panel').hidden = true;
  if (S.picked) map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: S.picked }, { picked: false });
  S.picked = null;
  S.area = null;
  writeHash();
  // Focus goes back where it came from (the search box, a table row, the map);
  // on a phone whose drawer closed meanwhile, to the button that reopens it.
  const seen = (el) => el?.isConnected && el !== document.body && el.checkVisibility();
  const back = [panelOpener, $('controls-toggle'), map.getCanvas()].find(seen);
  panelOpener = null;
  if (wasOpen) back?.focus();
}

// ---------- phone drawer ----------
export let panelOpener = null;
/** Opens or closes the controls drawer (phones only: CSS hides it otherwise). */
export function setDrawer(open, moveFocus = true) {
  const c = $('controls');
  const was = c.classList.contains('open');
  c.classList.toggle('open', open);
  $('controls-toggle').setAttribute('aria-expanded', String(open));
  if (!moveFocus || was === open) return;
  if (open) $('controls-close').focus(); else $('controls-toggle').focus();
}
