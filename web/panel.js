// The detail panel of one area (from /api/areas/{code}): its index, rank
// and decile, re-weighted and within-selection scores, components,
// indicators against their range, drivers, types of need, key groups,
// uncertainty and sources; opening it picks and shows the area, closing it
// gives focus back. Also the phone's controls drawer, which the panel closes.
import { fmt, pct, formatValue, missingText } from './format.js';
import { h, replace } from './dom.js';
import { driversSection } from './drivers.js';
import { needsSection } from './needs.js';
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
/** Why an area has no index, and what it lacks (null when it has one and lacks nothing). */
export function insufficiencyNote(d) {
  const ids = typeof d.missing_inputs === 'string' ? d.missing_inputs.split(';').filter(Boolean) : [];
  if (d.index_status !== 'insufficient_data') {
    return ids.length ? h('p', { class: 'meta', 'data-field': 'missing_inputs' }, `Scored without ${ids.map(indicatorName).join(', ')} (no value for this area).`) : null;
  }
  const cov = Number.isFinite(d.coverage) ? ` Only ${pct(d.coverage)} of the index weight has a value; the methodology needs ${pct(meth.min_coverage)}.` : '';
  return h('p', { class: 'warn', 'data-field': 'insufficiency' }, `${missingText(d.index_status, d.missing_inputs, indicatorName)}.${cov}`);
}

const th = (label) => h('th', { scope: 'row' }, label);
const tdNum = (value) => h('td', { class: 'num' }, value);
const head = (...cols) => h('thead', null, h('tr', null, cols.map(([label, cls]) => h('th', { class: cls }, label))));

/** A component's row: score, a bar of it, weight. */
function componentRow(c) {
  const width = Math.max(0, Math.min(100, (c.score ?? 0) * 10));
  return h('tr', null, th(c.label), tdNum(fmt(c.score)),
    h('td', { class: 'barcell' }, h('div', { class: 'bar', style: { width: `${width}%` }, 'aria-hidden': 'true' })), tdNum(fmt(c.weight, 2)));
}

/** An indicator's row: raw value, score, and where the value sits in the range of all areas. */
function indicatorRow(i) {
  const span = i.max - i.min;
  const at = i.raw !== null && i.raw !== undefined && span > 0 ? ((i.raw - i.min) / span) * 100 : null;
  // The raw column's kind and unit (from /api/meta) decide its format.
  const rawField = fieldOf(i.raw_field) ?? { kind: 'value' };
  const rawFmt = (x) => formatValue(rawField, x);
  const missing = i.raw === null || i.raw === undefined;
  const range = at !== null && h('div', { class: 'range', role: 'img', 'aria-label': `${rawFmt(i.raw)} within the range ${rawFmt(i.min)} to ${rawFmt(i.max)}` },
    h('i', { style: { left: `${at.toFixed(1)}%` } }));
  return h('tr', null, th(i.label), tdNum(missing ? h('span', { class: 'meta' }, 'no value') : rawFmt(i.raw)), tdNum(fmt(i.score)),
    h('td', null, range, h('span', { class: 'meta range-text' }, `${rawFmt(i.min)} – ${rawFmt(i.max)}`)));
}

/** A key group's row: its estimated residents and share, or why it has none. */
function personaRow(p) {
  if (p.availability?.status === 'unavailable') {
    return h('tr', null, th(p.label), h('td', { colspan: '2', class: 'meta' }, `Not estimated: the data lack ${(p.availability.missing_columns ?? []).join(', ') || 'its inputs'}`));
  }
  return h('tr', null, th(h('button', { type: 'button', class: 'link', 'data-about-group': p.id, title: 'What is this group?' }, p.label)),
    tdNum(formatValue({ kind: 'count' }, p.count)), tdNum(pct(p.share)));
}

function sourceItem(s) {
  return h('li', null, `${s.column ?? ''}: ${s.dataset ?? ''}`, s.vintage && `, ${s.vintage}`, s.method && [' ', h('span', { class: 'meta' }, `(${s.method})`)],
    s.demonstration && [' ', h('strong', null, 'demonstration data')]);
}

function sensitivity(d) {
  if (!d.sensitivity) return h('p', { class: 'meta' }, 'No uncertainty estimate for this area.');
  return h('p', null, 'Rank likely between ', h('strong', null, fmt(d.rank_p05, 0)), ' and ', h('strong', null, fmt(d.rank_p95, 0)),
    ' (5th–95th percentile over weight and data perturbations); probability of being in the top-risk decile ', h('strong', null, pct(d.p_top)), '.');
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
  const row = (label, value, rest) => h('tr', null, th(label), tdNum(value), h('td', null, rest));
  let reweighted = null;
  if (!weightsDefault() && a !== undefined) {
    await ensureExact();
    const v = reweightedIndex();
    const rd = rankInScope(v);
    const of = rd.of[a] ? ` of ${rd.of[a].toLocaleString('en-GB')} (${rd.groupName(a) ?? ''})` : '';
    reweighted = h('tr', null, th('Re-weighted index (your weights)'), tdNum(fmt(v[a])),
      h('td', { 'data-field': 'reweighted-rank' }, `rank ${rd.rank[a] ?? '–'}${of}, decile ${rd.decile[a] ?? '–'}`));
  }
  const sr = S.selResult?.get(d.code);
  const selRow = sr ? row('Index within the selection', fmt(sr.index), `rank ${sr.rank} of ${S.selResult.size}, decile ${sr.decile}`) : null;
  const rank = d.index_status === 'insufficient_data' ? 'no index: insufficient data'
    : ['rank ', h('span', { 'data-field': 'rank' }, d.rank ?? '–'), ` of ${(d.scope_group?.ranked ?? scores.code.length).toLocaleString('en-GB')}${d.scope_group?.name ? ` (${d.scope_group.name})` : ''}, decile `, h('span', { 'data-field': 'decile' }, d.decile ?? '–')];
  const personas = (d.personas ?? []).map(personaRow);
  replace($('panel-body'),
    h('h2', { id: 'panel-title', tabindex: '-1' }, d.name),
    h('p', { class: 'meta' }, `${d.code} · ward: ${d.ward_name ?? '–'}${d.ward_code ? ` (${d.ward_code})` : ''} · borough: ${d.borough_name ?? ''} (${d.borough_code ?? ''})`),
    d.demo && h('p', { class: 'banner' }, 'Some values for this area are demonstration data.'),
    h('table', null, h('tbody', null,
      h('tr', null, th('Risk index'), h('td', { class: 'num', 'data-field': 'index' }, fmt(d.index)), h('td', null, rank)),
      reweighted, selRow)),
    insufficiencyNote(d),
    h('h3', null, 'Components'),
    h('table', null, head(['Component'], ['Score', 'num'], [h('span', { class: 'sr-only' }, 'Bar')], ['Weight', 'num']),
      h('tbody', null, d.components.map(componentRow))),
    h('h3', null, 'Indicators against the range of all areas'),
    h('table', null, head(['Indicator'], ['Value', 'num'], ['Score', 'num'], ['Lowest – highest']), h('tbody', null, d.indicators.map(indicatorRow))),
    driversSection(d),
    needsSection(d),
    h('h3', null, 'Key groups (estimates)'),
    personas.length ? h('table', null, head(['Group'], ['Residents', 'num'], ['Share', 'num']), h('tbody', null, personas)) : h('p', { class: 'meta' }, 'None.'),
    h('h3', null, 'Uncertainty'), sensitivity(d),
    h('h3', null, 'Data sources'), h('ul', { class: 'meta' }, (d.sources ?? []).map(sourceItem)));
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
