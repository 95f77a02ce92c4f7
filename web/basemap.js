// The optional basemap under the choropleth (`dxmap serve --basemap`): reads
// /api/places/basemap and, when one is set, merges it into the page's
// MapLibre style: a raster XYZ template becomes a raster layer under the
// areas; a MapLibre style's layers go under the areas, except its labels
// (symbol layers), which go over them. The areas are drawn at the chosen
// opacity. Without a basemap the style is left as it is and the page loads
// nothing from elsewhere.
import { AttributionControl } from './vendor/maplibre-gl/maplibre-gl.mjs';
import { escapeHtml } from './dom.js';

const FILL_LAYER = 'lsoa-fill';

/** The basemap setting, with a style's document fetched; null when none or when it cannot load. */
export async function loadBasemap(getJson) {
  let b;
  try {
    b = (await getJson('api/places/basemap')).basemap;
  } catch (e) {
    console.warn('basemap setting could not load:', e.message);
    return null;
  }
  if (!b) return null;
  if (b.kind === 'style') {
    try {
      const r = await fetch(b.url);
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
      b.style = await r.json();
      if (!Array.isArray(b.style?.layers)) throw new Error('not a MapLibre style (no layers)');
    } catch (e) {
      console.warn(`basemap style ${b.url} could not load:`, e.message);
      b.failed = `The basemap style could not load (${e.message}); the map is shown without it.`;
    }
  }
  return b;
}

/** `style` (the page's own) with the basemap `b` merged under its areas. */
export function withBasemap(style, b) {
  if (!b || b.failed) return style;
  const fill = style.layers.find((l) => l.id === FILL_LAYER);
  if (fill) fill.paint = { ...fill.paint, 'fill-opacity': b.opacity };
  if (b.kind === 'raster') {
    style.sources.basemap = { type: 'raster', tiles: [b.url], tileSize: 256 };
    const at = style.layers.findIndex((l) => l.type === 'background') + 1;
    style.layers.splice(at, 0, { id: 'basemap', type: 'raster', source: 'basemap' });
    return style;
  }
  const base = b.style;
  const own = style.layers.filter((l) => l.type !== 'background');
  const under = base.layers.filter((l) => l.type !== 'symbol');
  const over = base.layers.filter((l) => l.type === 'symbol');
  return {
    ...style,
    ...(base.glyphs ? { glyphs: base.glyphs } : {}),
    ...(base.sprite ? { sprite: base.sprite } : {}),
    sources: { ...base.sources, ...style.sources },
    layers: [...under, ...own, ...over],
  };
}

/** Shows the basemap's attribution on the map and in the page's sources list. */
export function showBasemap(map, b) {
  if (!b) return;
  const list = document.getElementById('attribution');
  const li = document.createElement('li');
  li.textContent = b.failed ?? `Basemap: ${b.attribution || b.url}`;
  list?.append(li);
  // The control also lists the attributions a basemap style's sources carry.
  if (!b.failed) map.addControl(new AttributionControl({ compact: true, customAttribution: b.attribution ? escapeHtml(b.attribution) : undefined }), 'bottom-right');
}
