// dxmap web map: fetches /api/meta, /api/methodology, /api/scores and
// /tiles.json from the dxmap server, draws the LSOA choropleth with MapLibre,
// and wires the controls (layer, scale, weights, selection, wards, table,
// panel). All re-weighting happens here in the browser; state lives in the
// URL hash so a view can be shared.
import { Map as MapLibreMap, NavigationControl } from '/vendor/maplibre-gl/maplibre-gl.mjs';
import * as M from './model.js';
import { esc, fmt, pct, formatValue, missingText } from './format.js';
import { renderLegend as drawLegend, fixedDomain } from './legend.js';
import { setupAbout } from './about.js';
import { setupSearch } from './search.js';
import { loadPlaces, setupPlaces, showWardVintage, wardOutlineLayer, showWardOutlines } from './places.js';
import { loadBasemap, withBasemap, showBasemap } from './basemap.js';
import { setupDownloads } from './download.js';
import { driversHtml } from './drivers.js';
import { needsHtml, needLayers, needLabel, needValues } from './needs.js';

const $ = (id) => document.getElementById(id);
const SRC = 'dx';

const S = {
  layer: 'index',
  scale: 'decile',
  weights: null,
  defaults: null,
  selBoroughs: new Set(),
  rectCodes: new Set(),
  norm: 'london',
  wards: false,
  area: null,
  selResult: null, // Map code -> {index, rank, decile, components}
  values: null, // Float64Array of the values shown (when columnar)
  breaks: [],
  classes: null, // Int8Array: colour class held in feature-state k, per area (-1 = none)
  selected: new Set(), // codes holding feature-state sel
  hover: null,
  picked: null,
};
const dx = { state: S, timings: {}, ready: false, errors: [] };
window.dxmap = dx;

async function getJson(url, init) {
  // The page starts its first requests before this module loads; use each once.
  const pre = !init && window.dxmapPrefetch?.[url];
  if (pre) delete window.dxmapPrefetch[url];
  const r = await (pre || fetch(url, init));
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error || msg; } catch { /* keep status text */ }
    throw new Error(`${url}: ${r.status} ${msg}`);
  }
  return r.json();
}

function setStatus(text) { $('status').textContent = text; }

// ---------- data helpers ----------
let meta, meth, scores, tilejson, map;
let keyGroups = null; // columnar key-group estimates, fetched when a key-group layer is first shown
const codeIndex = new Map();
const boroughByCode = new Map();
const indicatorLabel = new Map();
const componentLabel = new Map();

const boroughNameOf = (code) => boroughByCode.get(code)?.name ?? code;
/** A field's entry in /api/meta `fields` (name, label, kind, unit, decimals, rollup). */
const fieldOf = (name) => meta.fields?.find((f) => f.name === name);

function layerLabel(layer) {
  if (layer === 'index') return 'Digital exclusion risk index';
  if (layer.startsWith('c_')) return 'Component: ' + (componentLabel.get(layer.slice(2)) ?? layer.slice(2));
  if (layer.startsWith('i_')) return 'Indicator score: ' + (indicatorLabel.get(layer.slice(2)) ?? layer.slice(2));
  if (layer === 'p_top') return 'Uncertainty: probability of being in the top-risk decile';
  if (layer.startsWith('n_')) return needLabel(meth, layer);
  const p = meth.personas?.find((q) => layer === `k_${q.id}_share` || layer === `k_${q.id}_count`);
  const lab = p ? p.label : layer;
  return layer.endsWith('_share') ? `Key group (share of residents): ${lab}` : `Key group (estimated residents): ${lab}`;
}

const weightsDefault = () => M.sameWeights(S.weights, S.defaults);

/** Per-area values of a columnar layer at London normalisation, or null. */
function londonValues(layer) {
  if (layer === 'index') return weightsDefault() ? Float64Array.from(scores.index, num) : M.reweight(meth, scores, S.weights);
  if (/^(c|i)_/.test(layer) && scores[layer]) return Float64Array.from(scores[layer], num);
  if (layer === 'p_top' && scores.p_top) return Float64Array.from(scores.p_top, num);
  const k = layer.match(/^k_(.+)_(share|count)$/);
  const col = k && keyGroups?.groups?.[k[1]]?.[k[2]];
  if (col) return Float64Array.from(col, num);
  if (layer.startsWith('n_')) return needValues(keyGroups, layer, num);
  return null;
}
function num(v) { return v === null || v === undefined ? NaN : Number(v); }


/** Key-group columns, fetched the first time a key-group layer is shown. */
async function ensureKeyGroups() {
  if (keyGroups || !/^[kn]_/.test(S.layer)) return;
  keyGroups = await getJson('/api/key-groups');
}

function selectedCodes() {
  const out = new Set(S.rectCodes);
  if (S.selBoroughs.size) {
    scores.code.forEach((c, a) => { if (S.selBoroughs.has(scores.borough_code[a])) out.add(c); });
  }
  return out;
}

/** The values the map shows now, one per area (NaN where there is none). */
function currentValues() {
  let v = londonValues(S.layer);
  S.fromTiles = !v;
  if (!v) v = tileColumn(S.layer);
  if (S.norm === 'selection' && S.selResult && (S.layer === 'index' || S.layer.startsWith('c_'))) {
    v = new Float64Array(scores.code.length).fill(NaN);
    scores.code.forEach((c, a) => {
      const r = S.selResult.get(c);
      if (r) v[a] = num(S.layer === 'index' ? r.index : r.components?.[S.layer.slice(2)]);
    });
  }
  if (S.wards) v = M.wardRollup(scores, v, fieldOf(S.layer)?.rollup).perArea;
  return v;
}

/** Formats a value of the shown layer from its field's kind, unit and precision. */
const legendFormat = (v) => formatValue(fieldOf(S.layer), v);
/** Indicator label by id (missing inputs are indicator ids). */
const indicatorName = (id) => indicatorLabel.get(id) ?? id;
const insufficientAt = (a) => scores.index_status?.[a] === 'insufficient_data';
/** Areas with insufficient data for an index. */
const insufficientCount = () => (scores?.index_status ?? []).filter((x) => x === 'insufficient_data').length;
/** Layers whose gaps are the index's: an area without one has insufficient data. */
const indexLayer = (layer) => layer === 'index';

/** A property the API does not serve, read from the loaded tiles (NaN elsewhere). */
function tileColumn(layer) {
  const out = new Float64Array(scores.code.length).fill(NaN);
  for (const f of map.querySourceFeatures(SRC, { sourceLayer: 'lsoa' })) {
    const v = f.properties[layer];
    const a = codeIndex.get(f.properties.code);
    if (v !== undefined && a !== undefined) out[a] = Number(v);
  }
  return out;
}

// ---------- colouring ----------
function recolour() {
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
function setClasses(values, breaks, gapOf) {
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

function renderLegend(breaks, note, domain, gapOf) {
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

// ---------- URL state ----------
/** Only the weights that differ from the methodology's, to keep URLs short. */
function changedWeights() {
  const out = { components: {}, indicators: {} };
  for (const k of ['components', 'indicators']) {
    for (const [id, w] of Object.entries(S.weights[k])) if (Math.abs(w - S.defaults[k][id]) > 1e-12) out[k][id] = w;
  }
  return out;
}

function writeHash() {
  if (!map) return;
  const c = map.getCenter();
  const s = {
    layer: S.layer, scale: S.scale, boroughs: [...S.selBoroughs], norm: S.norm, wards: S.wards, area: S.area,
    weights: weightsDefault() ? null : changedWeights(),
    view: [c.lng, c.lat, map.getZoom()],
  };
  history.replaceState(null, '', '#' + M.encodeState(s));
}

// ---------- UI construction ----------
function buildLayerSelect() {
  const sel = $('layer');
  const groups = [['Index', ['index']]];
  groups.push(['Components', meth.components.map((c) => 'c_' + c.id)]);
  groups.push(['Indicators', meth.components.flatMap((c) => c.indicators.map((i) => 'i_' + i.id))]);
  groups.push(['Key groups', (meth.personas ?? []).flatMap((p) => [`k_${p.id}_share`, `k_${p.id}_count`])]);
  groups.push(['Types of need', needLayers(meth)]);
  groups.push(['Uncertainty', ['p_top']]);
  for (const [label, layers] of groups) {
    if (!layers.length) continue;
    const g = document.createElement('optgroup');
    g.label = label;
    for (const l of layers) g.append(new Option(layerLabel(l).replace(/^(Component|Indicator score|Key group \(([^)]*)\)): /, (m, a, b) => (b ? b[0].toUpperCase() + b.slice(1) + ': ' : '')), l));
    sel.append(g);
  }
  sel.value = S.layer;
  sel.addEventListener('change', async () => {
    S.layer = sel.value;
    try { await ensureKeyGroups(); } catch (e) { setStatus('Key-group data could not load: ' + e.message); }
    recolour(); writeHash();
  });
  for (const r of document.querySelectorAll('input[name=scale]')) {
    r.checked = r.value === S.scale;
    r.addEventListener('change', () => { if (r.checked) { S.scale = r.value; recolour(); writeHash(); } });
  }
}

function buildWeights() {
  const box = $('weights');
  box.innerHTML = '';
  // Sliders are multipliers of the methodology's weight (×1 = as published),
  // so components and indicators of any weight scale share one 0–4 range.
  const slider = (kind, id, label, cls) => {
    const base = S.defaults[kind][id];
    const mult = base > 0 ? S.weights[kind][id] / base : S.weights[kind][id];
    const row = document.createElement('div');
    row.className = 'weight ' + cls;
    const inputId = `w-${kind[0]}-${id}`;
    row.innerHTML = `<label for="${inputId}">${esc(label)}</label><input type="range" id="${inputId}" min="0" max="4" step="0.05" value="${mult}" aria-valuetext="${fmt(mult, 2)} times the published weight"><output for="${inputId}">×${fmt(mult, 2)}</output>`;
    const input = row.querySelector('input');
    input.addEventListener('input', () => {
      const m = Number(input.value);
      S.weights[kind][id] = base > 0 ? base * m : m;
      input.setAttribute('aria-valuetext', `${fmt(m, 2)} times the published weight`);
      row.querySelector('output').textContent = '×' + fmt(m, 2);
      onWeightsChanged();
    });
    box.append(row);
  };
  for (const c of meth.components) {
    slider('components', c.id, c.label, 'comp');
    for (const i of c.indicators) slider('indicators', i.id, i.label, 'ind');
  }
}

let scorePostTimer = null;
function onWeightsChanged() {
  if (S.layer !== 'index') { S.layer = 'index'; $('layer').value = 'index'; }
  if (S.norm === 'selection') {
    clearTimeout(scorePostTimer);
    scorePostTimer = setTimeout(refreshSelectionScores, 250);
  }
  recolour();
  writeHash();
}

function buildBoroughs() {
  const list = $('borough-list');
  const zoom = $('zoom-borough');
  const tb = $('table-borough');
  for (const b of meta.boroughs ?? []) {
    const id = 'b-' + b.code;
    const l = document.createElement('label');
    l.innerHTML = `<input type="checkbox" id="${esc(id)}" value="${esc(b.code)}"> ${esc(b.name)}`;
    const cb = l.querySelector('input');
    cb.checked = S.selBoroughs.has(b.code);
    cb.addEventListener('change', () => {
      if (cb.checked) S.selBoroughs.add(b.code); else S.selBoroughs.delete(b.code);
      selectionChanged();
    });
    list.append(l);
    zoom.append(new Option(b.name, b.code));
    tb.append(new Option(b.name, b.code));
  }
  zoom.addEventListener('change', () => {
    const b = boroughByCode.get(zoom.value);
    if (b?.bbox) map.fitBounds([[b.bbox[0], b.bbox[1]], [b.bbox[2], b.bbox[3]]], { padding: 20, duration: 600 });
    else map.fitBounds([[meta.bounds[0], meta.bounds[1]], [meta.bounds[2], meta.bounds[3]]], { padding: 10, duration: 600 });
  });
}

async function selectionChanged() {
  const codes = selectedCodes();
  for (const c of S.selected) if (!codes.has(c)) map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: c }, { sel: false });
  for (const c of codes) map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: c }, { sel: true });
  S.selected = codes;
  const bs = S.selBoroughs.size ? ` (${S.selBoroughs.size} borough${S.selBoroughs.size > 1 ? 's' : ''}${S.rectCodes.size ? ' + rectangle' : ''})` : S.rectCodes.size ? ' (rectangle)' : '';
  $('selection-summary').textContent = codes.size ? `${codes.size} areas selected${bs}.` : 'No areas selected.';
  if (S.norm === 'selection') await refreshSelectionScores();
  else recolour();
  writeHash();
}

async function refreshSelectionScores() {
  const codes = [...S.selected].sort();
  if (S.norm !== 'selection' || codes.length < 2) {
    S.selResult = null;
    if (S.norm === 'selection') setStatus(codes.length ? 'Select at least two areas to normalise within.' : 'Select areas to normalise within.');
    recolour();
    return;
  }
  const body = { codes };
  if (!weightsDefault()) body.weights = { ...S.weights.components, ...S.weights.indicators };
  try {
    setStatus('Re-scoring the selection…');
    const r = await getJson('/api/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    S.selResult = new Map(r.areas.map((a) => [a.code, a]));
    setStatus('');
  } catch (e) {
    S.selResult = null;
    setStatus('Could not re-score the selection: ' + e.message);
  }
  recolour();
}

// ---------- rectangle selection ----------
function setupRectangle() {
  const btn = $('draw-rect');
  const rect = $('rect');
  const container = map.getCanvasContainer();
  let start = null;
  let active = false;
  const stop = () => {
    active = false; start = null; rect.hidden = true;
    btn.setAttribute('aria-pressed', 'false');
    map.dragPan.enable();
    container.style.cursor = '';
  };
  btn.addEventListener('click', () => {
    if (active) { stop(); return; }
    active = true;
    btn.setAttribute('aria-pressed', 'true');
    map.dragPan.disable();
    container.style.cursor = 'crosshair';
    setStatus('Drag on the map to select a rectangle (Escape cancels).');
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && active) { stop(); setStatus(''); } });
  const pos = (e) => { const r = container.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  container.addEventListener('mousedown', (e) => { if (!active) return; e.preventDefault(); start = pos(e); });
  window.addEventListener('mousemove', (e) => {
    if (!active || !start) return;
    const p = pos(e);
    Object.assign(rect.style, { left: Math.min(p[0], start[0]) + 'px', top: Math.min(p[1], start[1]) + 'px', width: Math.abs(p[0] - start[0]) + 'px', height: Math.abs(p[1] - start[1]) + 'px' });
    rect.hidden = false;
  });
  window.addEventListener('mouseup', async (e) => {
    if (!active || !start) return;
    const p = pos(e);
    const s0 = start;
    const a = map.unproject(s0);
    const b = map.unproject(p);
    stop();
    setStatus('');
    if (Math.abs(p[0] - s0[0]) < 4 || Math.abs(p[1] - s0[1]) < 4) return;
    const bbox = [Math.min(a.lng, b.lng), Math.min(a.lat, b.lat), Math.max(a.lng, b.lng), Math.max(a.lat, b.lat)];
    await selectBbox(bbox);
  });
}

async function selectBbox(bbox) {
  S.lastBbox = bbox;
  try {
    const r = await getJson('/api/areas?bbox=' + bbox.map((x) => x.toFixed(6)).join(','));
    for (const a of r.areas) S.rectCodes.add(a.code);
    setStatus('');
  } catch (e) {
    setStatus('Rectangle selection failed: ' + e.message);
  }
  await selectionChanged();
}

function areaBounds(code) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  for (const f of map.querySourceFeatures(SRC, { sourceLayer: 'lsoa', filter: ['==', ['get', 'code'], code] })) walk(f.geometry.coordinates);
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

function focusArea(code) {
  return openPanel(code, { zoom: true });
}

// ---------- panel ----------
/** Why an area has no index, and what it lacks ("" when it has one). */
function insufficiencyHtml(d) {
  const ids = typeof d.missing_inputs === 'string' ? d.missing_inputs.split(';').filter(Boolean) : [];
  if (d.index_status !== 'insufficient_data') {
    return ids.length ? `<p class="meta" data-field="missing_inputs">Scored without ${esc(ids.map(indicatorName).join(', '))} (no value for this area).</p>` : '';
  }
  const cov = Number.isFinite(d.coverage) ? ` Only ${pct(d.coverage)} of the index weight has a value; the methodology needs ${pct(meth.min_coverage)}.` : '';
  return `<p class="warn" data-field="insufficiency">${esc(missingText(d.index_status, d.missing_inputs, indicatorName))}.${esc(cov)}</p>`;
}

async function openPanel(code, { focus = true, zoom = false } = {}) {
  let d;
  try {
    d = await getJson('/api/areas/' + encodeURIComponent(code));
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
    const v = M.reweight(meth, scores, S.weights);
    const rd = M.rankAndDecile(v);
    reweighted = `<tr><th scope="row">Re-weighted index (your weights)</th><td class="num">${fmt(v[a])}</td><td>rank ${rd.rank[a] ?? '–'}, decile ${rd.decile[a] ?? '–'}</td></tr>`;
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
      <tr><th scope="row">Risk index</th><td class="num" data-field="index">${fmt(d.index)}</td><td>${d.index_status === 'insufficient_data' ? 'no index: insufficient data' : `rank <span data-field="rank">${d.rank ?? '–'}</span> of ${scores.code.length}, decile <span data-field="decile">${d.decile ?? '–'}</span>`}</td></tr>
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
function keepVisible(code, zoom) {
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

function closePanel() {
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
let panelOpener = null;
/** Opens or closes the controls drawer (phones only: CSS hides it otherwise). */
function setDrawer(open, moveFocus = true) {
  const c = $('controls');
  const was = c.classList.contains('open');
  c.classList.toggle('open', open);
  $('controls-toggle').setAttribute('aria-expanded', String(open));
  if (!moveFocus || was === open) return;
  if (open) $('controls-close').focus(); else $('controls-toggle').focus();
}

// ---------- table view ----------
let tableSort = { key: 'value', dir: -1 };
function renderTable() {
  const tb = $('table-borough').value;
  const q = $('table-filter').value.trim().toLowerCase();
  const values = S.values ?? londonValues('index');
  const table = $('table');
  let cols;
  let rows;
  const valueLabel = S.values ? layerLabel(S.layer) : 'Risk index';
  if (S.wards && S.values) {
    const base = londonValues(S.layer) ?? londonValues('index');
    const how = fieldOf(londonValues(S.layer) ? S.layer : 'index')?.rollup;
    const wr = M.wardRollup(scores, base, how);
    cols = [['code', 'Ward'], ['borough', 'Borough'], ['areas', 'Areas', true], ['population', 'Population', true], ['value', valueLabel + (how === 'sum' ? ' (total)' : ' (pop.-weighted)'), true]];
    rows = wr.wards.filter((w) => (!tb || w.borough === tb) && (!q || `${w.name} ${w.code}`.toLowerCase().includes(q)))
      .map((w) => ({ code: w.name, borough: boroughNameOf(w.borough), areas: w.areas, population: w.population, value: w.value }));
  } else {
    const rd = M.rankAndDecile(values);
    cols = [['name', 'Area'], ['code', 'Code'], ['borough', 'Borough'], ['ward', 'Ward'], ['value', valueLabel, true], ['rank', 'Rank', true], ['decile', 'Decile', true]];
    rows = [];
    scores.code.forEach((c, a) => {
      if (tb && scores.borough_code[a] !== tb) return;
      if (q && !c.toLowerCase().includes(q) && !String(scores.name[a]).toLowerCase().includes(q)) return;
      rows.push({ code: c, name: scores.name[a], borough: scores.borough_name[a], ward: scores.ward_name?.[a] ?? '', value: values[a], rank: rd.rank[a], decile: rd.decile[a] });
    });
  }
  if (!cols.some(([k]) => k === tableSort.key)) tableSort = { key: 'value', dir: -1 };
  const { key, dir } = tableSort;
  rows.sort((x, y) => {
    const a = x[key], b = y[key];
    const an = typeof a === 'number' ? (Number.isFinite(a) ? a : -Infinity) : a;
    const bn = typeof b === 'number' ? (Number.isFinite(b) ? b : -Infinity) : b;
    return (an < bn ? -1 : an > bn ? 1 : 0) * dir || (x.code < y.code ? -1 : 1);
  });
  const LIMIT = 500;
  const shown = rows.slice(0, LIMIT);
  const head = cols.map(([k, label, numeric]) => {
    const sort = k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none';
    return `<th scope="col" aria-sort="${sort}"${numeric ? ' class="num"' : ''}><button type="button" data-sort="${k}">${esc(label)}${k === key ? (dir > 0 ? ' ▲' : ' ▼') : ''}</button></th>`;
  }).join('');
  const body = shown.map((r) => `<tr data-code="${esc(r.code)}">${cols.map(([k, , numeric]) => {
    let v = r[k];
    if (k === 'name') return `<td><button type="button" class="link" data-open="${esc(r.code)}">${esc(v)}</button></td>`;
    if (typeof v === 'number') v = k === 'value' ? legendFormat(v) : k === 'population' ? Math.round(v).toLocaleString('en-GB') : v;
    if (typeof r[k] === 'number' && !Number.isFinite(r[k])) v = '–';
    return `<td${numeric ? ' class="num"' : ''}>${esc(v ?? '–')}</td>`;
  }).join('')}</tr>`).join('');
  table.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
  $('table-caption').textContent = `${rows.length} ${S.wards && S.values ? 'wards' : 'areas'}${rows.length > LIMIT ? `, first ${LIMIT} shown (filter by borough, or download CSV for all)` : ''}. Sorted by ${cols.find(([k]) => k === key)[1]}, ${dir > 0 ? 'ascending' : 'descending'}.`;
}

function setupTable() {
  const btn = $('toggle-table');
  btn.addEventListener('click', () => {
    const tv = $('table-view');
    tv.hidden = !tv.hidden;
    btn.setAttribute('aria-expanded', String(!tv.hidden));
    btn.textContent = tv.hidden ? 'Show table view' : 'Hide table view';
    if (!tv.hidden) { setDrawer(false, false); renderTable(); tv.scrollIntoView({ block: 'start' }); map.resize(); }
  });
  $('table').addEventListener('click', (e) => {
    const s = e.target.closest('[data-sort]');
    if (s) {
      const k = s.dataset.sort;
      tableSort = { key: k, dir: tableSort.key === k ? -tableSort.dir : k === 'value' || k === 'population' ? -1 : 1 };
      renderTable();
      $('table').querySelector(`[data-sort="${k}"]`)?.focus();
      return;
    }
    const o = e.target.closest('[data-open]');
    if (o) focusArea(o.dataset.open);
  });
  $('table-borough').addEventListener('change', renderTable);
  $('table-filter').addEventListener('input', renderTable);
}

// ---------- map ----------
function buildStyle(fill) {
  const layers = new Set((tilejson.vector_layers ?? []).map((l) => l.id));
  const style = {
    version: 8,
    sources: {
      [SRC]: {
        type: 'vector', tiles: tilejson.tiles, minzoom: tilejson.minzoom ?? 0, maxzoom: tilejson.maxzoom ?? 14,
        bounds: tilejson.bounds, promoteId: { lsoa: 'code' },
      },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#f4f4f1' } },
      { id: 'lsoa-fill', type: 'fill', source: SRC, 'source-layer': 'lsoa', paint: { 'fill-color': fill, 'fill-opacity': 0.92 } },
      { id: 'lsoa-line', type: 'line', source: SRC, 'source-layer': 'lsoa', minzoom: 11, paint: { 'line-color': '#ffffff', 'line-width': 0.4, 'line-opacity': 0.6 } },
    ],
  };
  if (layers.has('wards')) style.layers.push(wardOutlineLayer(SRC));
  if (layers.has('boroughs')) style.layers.push({ id: 'boroughs-line', type: 'line', source: SRC, 'source-layer': 'boroughs', paint: { 'line-color': '#1a1a1a', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.8, 13, 2] } });
  return style;
}

/**
 * One line layer for hover, the open area and the selection (every line
 * layer over lsoa tessellates all of a tile's rings, so one, not three),
 * added after the first paint so the first tiles lay out without it.
 */
function addOutlineLayer() {
  map.addLayer({ id: 'lsoa-hover', type: 'line', source: SRC, 'source-layer': 'lsoa', paint: {
    'line-color': ['case', ['boolean', ['feature-state', 'picked'], false], '#000000', ['boolean', ['feature-state', 'hover'], false], '#000000', '#c43e00'],
    'line-width': ['case', ['boolean', ['feature-state', 'picked'], false], 3.5, ['boolean', ['feature-state', 'hover'], false], 2.5, ['boolean', ['feature-state', 'sel'], false], 1.6, 0] } });
}

/** The tooltip's value: formatted, or why there is none. */
function tipValue(v, a) {
  if (Number.isFinite(v)) return legendFormat(v);
  if (a !== undefined && indexLayer(S.layer) && insufficientAt(a)) return missingText('insufficient_data', scores.missing_inputs?.[a], indicatorName);
  return 'no data';
}

function setupHover() {
  const tip = $('tooltip');
  const clear = () => {
    if (S.hover) map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: S.hover }, { hover: false });
    S.hover = null;
    tip.hidden = true;
    map.getCanvas().style.cursor = '';
  };
  // Touch taps send a compatibility mousemove that would leave the tooltip
  // up: show it only for a real mouse, and hide it when a touch ends.
  let pointer = 'mouse';
  const container = map.getCanvasContainer();
  for (const t of ['pointerdown', 'pointermove']) container.addEventListener(t, (e) => { pointer = e.pointerType; }, true);
  container.addEventListener('pointerup', (e) => { if (e.pointerType !== 'mouse') clear(); }, true);
  map.on('mousemove', 'lsoa-fill', (e) => {
    if (pointer !== 'mouse') return clear();
    const f = e.features?.[0];
    if (!f) return clear();
    const code = f.properties.code;
    if (S.hover !== code) {
      if (S.hover) map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: S.hover }, { hover: false });
      S.hover = code;
      map.setFeatureState({ source: SRC, sourceLayer: 'lsoa', id: code }, { hover: true });
    }
    const a = codeIndex.get(code);
    const v = S.values && a !== undefined ? S.values[a] : Number(f.properties[S.layer]);
    // Overview tiles carry only code, index, decile and status: names come from /api/scores.
    const name = a !== undefined ? scores.name[a] : code;
    const borough = a !== undefined ? scores.borough_name[a] : '';
    tip.innerHTML = `<strong>${esc(name)}</strong><br>${esc(borough ?? '')}<br>${esc(layerLabel(S.layer))}: ${esc(tipValue(v, a))}`;
    tip.style.left = Math.min(e.point.x + 14, map.getCanvas().clientWidth - 200) + 'px';
    tip.style.top = e.point.y + 14 + 'px';
    tip.hidden = false;
    map.getCanvas().style.cursor = 'pointer';
  });
  map.on('mouseleave', 'lsoa-fill', clear);
  map.getCanvas().addEventListener('mouseout', clear);
  map.on('click', 'lsoa-fill', (e) => {
    // The panel opens where the tooltip may be: it must not linger under it.
    tip.hidden = true;
    const f = e.features?.[0];
    if (f && $('draw-rect').getAttribute('aria-pressed') !== 'true') openPanel(f.properties.code);
  });
  // Keyboard: Enter on the focused map opens the area at the map centre.
  map.getCanvas().addEventListener('keydown', async (e) => {
    if (e.key !== 'Enter') return;
    const c = map.getCenter();
    try {
      const d = await getJson(`/api/lookup?lon=${c.lng}&lat=${c.lat}`);
      openPanel(d.code);
    } catch { setStatus('No area at the map centre.'); }
  });
}

async function main() {
  const t0 = performance.now();
  // The map starts as soon as the small documents are in; the columnar scores
  // (the largest body) load meanwhile and are awaited before the first colouring.
  const scoresP = getJson('/api/scores');
  scoresP.catch(() => {});
  const placesP = loadPlaces(getJson);
  const basemapP = loadBasemap(getJson);
  [meta, meth, tilejson] = await Promise.all([getJson('/api/meta'), getJson('/api/methodology'), getJson('/tiles.json')]);
  setupAbout(meta, meth, insufficientCount);
  $('demo-banner').hidden = !meta.demonstration;
  $('attribution').innerHTML = (meta.attribution ?? []).map((a) => `<li>${esc(a)}</li>`).join('');
  showWardVintage(meta.ward_vintage);
  for (const b of meta.boroughs ?? []) boroughByCode.set(b.code, b);
  for (const c of meth.components) { componentLabel.set(c.id, c.label); for (const i of c.indicators) indicatorLabel.set(i.id, i.label); }
  S.defaults = M.defaultWeights(meth);
  S.weights = structuredClone(S.defaults);

  const h = M.decodeState(location.hash);
  if (h.layer) S.layer = h.layer;
  if (h.scale === 'fixed') S.scale = 'fixed';
  if (h.weights) for (const k of ['components', 'indicators']) for (const [id, w] of Object.entries(h.weights[k])) if (id in S.weights[k]) S.weights[k][id] = w;
  for (const b of h.boroughs ?? []) S.selBoroughs.add(b);
  if (h.norm === 'selection') S.norm = 'selection';
  if (h.wards) S.wards = true;

  // The scores (requested with the page) give the first paint's deciles, so
  // the map starts with its final colour expression and never re-lays out.
  scores = await scoresP;
  dx.timings.dataMs = performance.now() - t0;
  scores.code.forEach((c, a) => codeIndex.set(c, a));
  const firstFill = M.classColour(M.propertyColour('index', M.decileBreaks(Float64Array.from(scores.index, num))));

  // A shared view wins; otherwise fit the data's bounds to the screen.
  const view = h.view ?? meta.center ?? [(meta.bounds[0] + meta.bounds[2]) / 2, (meta.bounds[1] + meta.bounds[3]) / 2, 9];
  const fit = !h.view && meta.bounds ? { bounds: [[meta.bounds[0], meta.bounds[1]], [meta.bounds[2], meta.bounds[3]]], fitBoundsOptions: { padding: 10 } } : {};
  const basemap = await basemapP;
  map = new MapLibreMap({
    container: 'map', style: withBasemap(buildStyle(firstFill), basemap), center: [view[0], view[1]], zoom: view[2], ...fit,
    attributionControl: false, boxZoom: false, fadeDuration: 0, dragRotate: false, pitchWithRotate: false, touchPitch: false,
    maxBounds: meta.bounds ? [[meta.bounds[0] - 1, meta.bounds[1] - 0.6], [meta.bounds[2] + 1, meta.bounds[3] + 0.6]] : undefined,
  });
  dx.map = map;
  showBasemap(map, basemap);
  dx.timings.mapCreatedMs = performance.now();
  map.once('load', () => { dx.timings.styleLoadedMs = performance.now(); });
  const onData = (e) => {
    if (e.sourceId === SRC && e.tile && map.areTilesLoaded()) { dx.timings.tilesLoadedMs = performance.now(); map.off('sourcedata', onData); }
  };
  map.on('sourcedata', onData);
  const loadedP = new Promise((resolve) => map.once('load', resolve));
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-left');
  map.on('error', (e) => { dx.errors.push(String(e.error?.message ?? e)); console.warn('map error', e.error?.message ?? e); });

  buildLayerSelect();
  buildWeights();
  buildBoroughs();
  setupSearch({ map, meta, scores, places: placesP, openArea: focusArea });
  setupTable();
  for (const r of document.querySelectorAll('input[name=norm]')) {
    r.checked = r.value === S.norm;
    r.addEventListener('change', () => { if (r.checked) { S.norm = r.value; if (S.norm === 'selection') refreshSelectionScores(); else { S.selResult = null; recolour(); } writeHash(); } });
  }
  $('ward-view').checked = S.wards;
  $('ward-view').addEventListener('change', () => {
    S.wards = $('ward-view').checked;
    showWardOutlines(map, S.wards);
    recolour(); writeHash();
  });
  $('reset-weights').addEventListener('click', () => { S.weights = structuredClone(S.defaults); buildWeights(); onWeightsChanged(); });
  $('clear-selection').addEventListener('click', () => {
    S.selBoroughs.clear(); S.rectCodes.clear();
    for (const cb of $('borough-list').querySelectorAll('input')) cb.checked = false;
    selectionChanged();
  });
  dx.downloads = setupDownloads({
    buttons: { csv: $('dl-csv'), geojson: $('dl-geojson') },
    state: () => ({ selected: S.selected, weights: weightsDefault() ? null : { ...S.weights.components, ...S.weights.indicators }, wards: S.wards }),
    setStatus,
  });
  $('panel-close').addEventListener('click', closePanel);
  $('controls-toggle').addEventListener('click', () => setDrawer(!$('controls').classList.contains('open')));
  $('controls-close').addEventListener('click', () => setDrawer(false));
  $('controls').addEventListener('keydown', (e) => { if (e.key === 'Escape' && $('controls').classList.contains('open')) setDrawer(false); });
  $('panel').addEventListener('keydown', (e) => { if (e.key === 'Escape') closePanel(); });

  await ensureKeyGroups();
  await loadedP;
  placesP.then((p) => setupPlaces(map, p, { timings: dx.timings }));
  setupHover();
  setupRectangle();
  showWardOutlines(map, S.wards);
  recolour();
  if (S.selBoroughs.size) await selectionChanged();
  map.on('moveend', writeHash);
  // First meaningful paint: the map is idle with the choropleth tiles drawn.
  await new Promise((resolve) => {
    const check = () => { if (map.isSourceLoaded(SRC) && map.areTilesLoaded()) resolve(); else map.once('idle', check); };
    map.once('idle', check);
  });
  dx.timings.firstIdleMs = performance.now();
  addOutlineLayer();
  setStatus('');
  // Deciles of tile-only layers need loaded tiles: recolour once they are in.
  if (S.fromTiles) recolour();
  if (h.area) await openPanel(h.area, { focus: false });
  dx.ready = true;
  document.body.dataset.ready = 'true';
}

// Exposed for tests and the console.
Object.assign(dx, { recolour, openPanel, closePanel, selectBbox, currentValues: () => S.values, renderTable });

main().catch((e) => {
  dx.errors.push(String(e.message ?? e));
  setStatus('The map could not load: ' + (e.message ?? e));
  console.error(e);
});
