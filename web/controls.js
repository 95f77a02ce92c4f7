// The controls: the layer and scale pickers, the weight sliders, the
// borough list and zoom picker, and the selection (boroughs and a rectangle
// drawn on the map) with its re-scoring by the server (POST /api/score).
// Each change recolours the map and rewrites the URL hash.
import { fmt } from './format.js';
import { h, replace } from './dom.js';
import { needLayers } from './needs.js';
import { recolour } from './colour.js';
import { $, S, SRC, map, meta, meth, boroughByCode, getJson, setStatus, layerLabel, ensureKeyGroups, selectedCodes, weightsDefault, writeHash } from './state.js';

// ---------- UI construction ----------
export function buildLayerSelect() {
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

export function buildWeights() {
  const box = replace($('weights'));
  // Sliders are multipliers of the methodology's weight (×1 = as published),
  // so components and indicators of any weight scale share one 0–4 range.
  const slider = (kind, id, label, cls) => {
    const base = S.defaults[kind][id];
    const mult = base > 0 ? S.weights[kind][id] / base : S.weights[kind][id];
    const inputId = `w-${kind[0]}-${id}`;
    const valueText = (m) => `${fmt(m, 2)} times the published weight`;
    const input = h('input', { type: 'range', id: inputId, min: 0, max: 4, step: 0.05, value: mult, 'aria-valuetext': valueText(mult) });
    const output = h('output', { for: inputId }, '×' + fmt(mult, 2));
    input.addEventListener('input', () => {
      const m = Number(input.value);
      S.weights[kind][id] = base > 0 ? base * m : m;
      input.setAttribute('aria-valuetext', valueText(m));
      output.textContent = '×' + fmt(m, 2);
      onWeightsChanged();
    });
    box.append(h('div', { class: 'weight ' + cls }, h('label', { for: inputId }, label), input, output));
  };
  for (const c of meth.components) {
    slider('components', c.id, c.label, 'comp');
    for (const i of c.indicators) slider('indicators', i.id, i.label, 'ind');
  }
}

export let scorePostTimer = null;
export function onWeightsChanged() {
  if (S.layer !== 'index') { S.layer = 'index'; $('layer').value = 'index'; }
  if (S.norm === 'selection') {
    clearTimeout(scorePostTimer);
    scorePostTimer = setTimeout(refreshSelectionScores, 250);
  }
  recolour();
  writeHash();
}

export function buildBoroughs() {
  const list = $('borough-list');
  const zoom = $('zoom-borough');
  const tb = $('table-borough');
  for (const b of meta.boroughs ?? []) {
    const id = 'b-' + b.code;
    const cb = h('input', { type: 'checkbox', id, value: b.code });
    cb.checked = S.selBoroughs.has(b.code);
    cb.addEventListener('change', () => {
      if (cb.checked) S.selBoroughs.add(b.code); else S.selBoroughs.delete(b.code);
      selectionChanged();
    });
    list.append(h('label', null, cb, ' ', b.name));
    zoom.append(new Option(b.name, b.code));
    tb.append(new Option(b.name, b.code));
  }
  zoom.addEventListener('change', () => {
    const b = boroughByCode.get(zoom.value);
    if (b?.bbox) map.fitBounds([[b.bbox[0], b.bbox[1]], [b.bbox[2], b.bbox[3]]], { padding: 20, duration: 600 });
    else map.fitBounds([[meta.bounds[0], meta.bounds[1]], [meta.bounds[2], meta.bounds[3]]], { padding: 10, duration: 600 });
  });
}

export async function selectionChanged() {
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

export async function refreshSelectionScores() {
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
    const r = await getJson('api/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    S.selResult = new Map(r.areas.map((a) => [a.code, a]));
    setStatus('');
  } catch (e) {
    S.selResult = null;
    setStatus('Could not re-score the selection: ' + e.message);
  }
  recolour();
}

// ---------- rectangle selection ----------
export function setupRectangle() {
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

export async function selectBbox(bbox) {
  S.lastBbox = bbox;
  try {
    const r = await getJson('api/areas?bbox=' + bbox.map((x) => x.toFixed(6)).join(','));
    for (const a of r.areas) S.rectCodes.add(a.code);
    setStatus('');
  } catch (e) {
    setStatus('Rectangle selection failed: ' + e.message);
  }
  await selectionChanged();
}
