// dxmap web map: fetches /api/meta, /api/methodology, /api/scores and
// /tiles.json from the dxmap server, draws the LSOA choropleth with MapLibre
// (its style, the hover tooltip, Enter to open the area at the centre) and
// wires the page's modules: state.js (view state, data, URL hash),
// colour.js (classes and legend), controls.js (layer, scale, weights,
// selection), panel.js (one area's detail) and table.js; every element is
// built with dom.js, never from HTML strings. All re-weighting happens in
// the browser; state lives in the URL hash so a view can be shared.
import { Map as MapLibreMap, NavigationControl } from './vendor/maplibre-gl/maplibre-gl.mjs';
import * as M from './model.js';
import { missingText } from './format.js';
import { h, replace } from './dom.js';
import { setupAbout } from './about.js';
import { setupSearch } from './search.js';
import { loadPlaces, setupPlaces, showWardVintage, wardOutlineLayer, showWardOutlines } from './places.js';
import { loadBasemap, withBasemap, showBasemap } from './basemap.js';
import { setupDownloads } from './download.js';
import { applyStaticMode } from './static.js';
import {
  $, S, SRC, dx, map, meta, meth, scores, tilejson, codeIndex, boroughByCode, indicatorLabel, componentLabel,
  setDocuments, isStatic, tileUrls, setScores, setMap, getJson, setStatus, layerLabel, legendFormat, indicatorName, insufficientAt,
  insufficientCount, indexLayer, ensureKeyGroups, num, weightsDefault, writeHash,
} from './state.js';
import { recolour } from './colour.js';
import { buildLayerSelect, buildWeights, buildBoroughs, onWeightsChanged, selectionChanged, refreshSelectionScores, setupRectangle, selectBbox } from './controls.js';
import { focusArea, openPanel, closePanel, setDrawer } from './panel.js';
import { renderTable, setupTable } from './table.js';

// ---------- map ----------
function buildStyle(fill) {
  const layers = new Set((tilejson.vector_layers ?? []).map((l) => l.id));
  const style = {
    version: 8,
    sources: {
      [SRC]: {
        type: 'vector', tiles: tileUrls(tilejson.tiles), minzoom: tilejson.minzoom ?? 0, maxzoom: tilejson.maxzoom ?? 14,
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
    replace(tip, h('strong', null, name), h('br'), borough, h('br'), `${layerLabel(S.layer)}: ${tipValue(v, a)}`);
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
  const scoresP = getJson('api/scores');
  scoresP.catch(() => {});
  const placesP = loadPlaces(getJson);
  const basemapP = loadBasemap(getJson);
  setDocuments(...await Promise.all([getJson('api/meta'), getJson('api/methodology'), getJson('tiles.json')]));
  setupAbout(meta, meth, insufficientCount);
  if (isStatic()) applyStaticMode();
  $('demo-banner').hidden = !meta.demonstration;
  replace($('attribution'), (meta.attribution ?? []).map((a) => h('li', null, a)));
  showWardVintage(meta.ward_vintage);
  for (const b of meta.boroughs ?? []) boroughByCode.set(b.code, b);
  for (const c of meth.components) { componentLabel.set(c.id, c.label); for (const i of c.indicators) indicatorLabel.set(i.id, i.label); }
  S.defaults = M.defaultWeights(meth);
  S.weights = structuredClone(S.defaults);

  const shared = M.decodeState(location.hash);
  if (shared.layer) S.layer = shared.layer;
  if (shared.scale === 'fixed') S.scale = 'fixed';
  if (shared.weights) for (const k of ['components', 'indicators']) for (const [id, w] of Object.entries(shared.weights[k])) if (id in S.weights[k]) S.weights[k][id] = w;
  for (const b of shared.boroughs ?? []) S.selBoroughs.add(b);
  if (shared.norm === 'selection') S.norm = 'selection';
  if (shared.wards) S.wards = true;

  // The scores (requested with the page) give the first paint's deciles, so
  // the map starts with its final colour expression and never re-lays out.
  setScores(await scoresP);
  dx.timings.dataMs = performance.now() - t0;
  scores.code.forEach((c, a) => codeIndex.set(c, a));
  const firstFill = M.classColour(M.propertyColour('index', M.decileBreaks(Float64Array.from(scores.index, num))));

  // A shared view wins; otherwise fit the data's bounds to the screen.
  const view = shared.view ?? meta.center ?? [(meta.bounds[0] + meta.bounds[2]) / 2, (meta.bounds[1] + meta.bounds[3]) / 2, 9];
  const fit = !shared.view && meta.bounds ? { bounds: [[meta.bounds[0], meta.bounds[1]], [meta.bounds[2], meta.bounds[3]]], fitBoundsOptions: { padding: 10 } } : {};
  const basemap = await basemapP;
  setMap(new MapLibreMap({
    container: 'map', style: withBasemap(buildStyle(firstFill), basemap), center: [view[0], view[1]], zoom: view[2], ...fit,
    attributionControl: false, boxZoom: false, fadeDuration: 0, dragRotate: false, pitchWithRotate: false, touchPitch: false,
    maxBounds: meta.bounds ? [[meta.bounds[0] - 1, meta.bounds[1] - 0.6], [meta.bounds[2] + 1, meta.bounds[3] + 0.6]] : undefined,
  }));
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
  if (shared.area) await openPanel(shared.area, { focus: false });
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
