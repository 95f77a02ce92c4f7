// Place names and ward outlines for finding one's way: fetches
// /api/places/labels (a point inside each borough and ward) from dxmap's own
// data, so the page needs nothing from elsewhere, and gives the style layer
// that draws ward outlines from the vector tiles' `wards` layer (one line
// layer for the ward view and for orientation, cut to the tiles in view, so
// a build with thousands of wards never sends them all at once). Labels are
// HTML elements over the map, not a MapLibre symbol layer: symbol layers
// need glyph PBFs, and no npm package ships an openly licensed set small
// enough to embed. Only labels in view are placed, larger places first,
// skipping any that would overlap.

/** Zooms at which each kind is labelled: [from, below]. */
export const LABEL_ZOOMS = { borough: [0, 13], ward: [11, 24] };
/** Zoom from which ward outlines are drawn; in the ward view, from the tiles' first ward zoom. */
export const WARD_OUTLINE_MINZOOM = 11;
const WARD_VIEW_MINZOOM = 10;

/** The style layer of ward outlines, from the `wards` layer of vector source `source`. */
export function wardOutlineLayer(source) {
  return { id: 'wards-line', type: 'line', source, 'source-layer': 'wards', minzoom: WARD_OUTLINE_MINZOOM,
    paint: { 'line-color': '#333333', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.5, 15, 1.4], 'line-opacity': 0.75 } };
}

/** Draws ward outlines from a zoom lower in the ward view than otherwise. */
export function showWardOutlines(map, wardView) {
  if (map.getLayer('wards-line')) map.setLayerZoomRange('wards-line', wardView ? WARD_VIEW_MINZOOM : WARD_OUTLINE_MINZOOM, 24);
}
const FONTS = { borough: '700 13px system-ui, sans-serif', ward: '500 12px system-ui, sans-serif' };
const GAP = 6; // px kept clear around each label

const stats = { layouts: 0, lastLayoutMs: 0, lastMoveMs: 0, shown: 0 };

/** Starts fetching the labels; resolves to the GeoJSON (null on failure). */
export function loadPlaces(getJson) {
  return getJson('api/places/labels').catch((e) => {
    console.warn('place labels could not load:', e.message);
    return null;
  });
}

/** The wards' vintage as the page says it, e.g. "wards, May 2024 (…)". */
export function showWardVintage(vintage) {
  const box = document.getElementById('ward-view')?.closest('label');
  if (!box || !vintage || document.getElementById('ward-vintage')) return;
  const p = document.createElement('p');
  p.id = 'ward-vintage';
  p.className = 'hint';
  p.textContent = `Ward boundaries: ${vintage}.`;
  box.after(p);
}

/** Draws the labels of `places` (the /api/places/labels body) over `map`. */
export function setupPlaces(map, places, { timings } = {}) {
  if (timings) timings.places = stats;
  if (!places?.features?.length) return;
  const layer = document.createElement('div');
  layer.className = 'place-labels';
  // The names are a visual aid; search and the panel give them as text.
  layer.setAttribute('aria-hidden', 'true');
  map.getCanvasContainer().append(layer);

  const measure = document.createElement('canvas').getContext('2d');
  const items = places.features.map((f) => {
    const p = f.properties;
    measure.font = FONTS[p.kind] ?? FONTS.ward;
    return { kind: p.kind, name: p.name, code: p.code, areas: p.areas, lngLat: f.geometry.coordinates,
      w: Math.ceil(measure.measureText(p.name).width) + 2 * GAP, h: (p.kind === 'borough' ? 16 : 15) + 2 * GAP, el: null, x: 0, y: 0 };
  });
  // Boroughs before wards, larger (more areas) first, then by code: a stable order.
  items.sort((a, b) => (a.kind === b.kind ? b.areas - a.areas || (a.code < b.code ? -1 : 1) : a.kind === 'borough' ? -1 : 1));
  let shown = [];

  const place = (it) => {
    const p = map.project(it.lngLat);
    it.x = p.x; it.y = p.y;
    it.el.style.transform = `translate(${p.x.toFixed(1)}px, ${p.y.toFixed(1)}px) translate(-50%, -50%)`;
  };

  // Which labels show: those in view at this zoom that overlap no label placed before them.
  const layout = () => {
    const t0 = performance.now();
    const z = map.getZoom();
    const { clientWidth: W, clientHeight: H } = map.getCanvas();
    const boxes = [];
    const next = [];
    for (const it of items) {
      const [from, below] = LABEL_ZOOMS[it.kind] ?? LABEL_ZOOMS.ward;
      if (z < from || z >= below) continue;
      const p = map.project(it.lngLat);
      const box = [p.x - it.w / 2, p.y - it.h / 2, p.x + it.w / 2, p.y + it.h / 2];
      if (box[2] < 0 || box[3] < 0 || box[0] > W || box[1] > H) continue;
      if (boxes.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
      boxes.push(box);
      next.push(it);
    }
    const keep = new Set(next);
    for (const it of shown) if (!keep.has(it)) it.el.remove();
    for (const it of next) {
      if (!it.el) {
        it.el = document.createElement('div');
        it.el.className = `place-label ${it.kind}`;
        it.el.textContent = it.name;
      }
      if (!it.el.isConnected) layer.append(it.el);
      place(it);
    }
    shown = next;
    stats.layouts++;
    stats.shown = shown.length;
    stats.lastLayoutMs = performance.now() - t0;
  };
  // While the map moves, shown labels follow it; the set changes when it stops.
  map.on('move', () => {
    const t0 = performance.now();
    for (const it of shown) place(it);
    stats.lastMoveMs = performance.now() - t0;
  });
  map.on('moveend', layout);
  map.on('resize', layout);
  layout();
}
