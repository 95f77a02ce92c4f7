// MapLibre Tiles (MLT): dxmap's /tiles/{z}/{x}/{y}.mlt against the same
// tiles' .mvt. First with the decoders themselves (@maplibre/mlt, which
// MapLibre GL JS uses, and @mapbox/vector-tile): every feature's id,
// properties and rings, at every zoom. Then in the browser: MapLibre given
// an `encoding: "mlt"` source and an MVT source finds the same areas with
// the same values, with no console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openMap, api } from './helpers.js';
import { mvtLayers, mltLayers, compare } from './mlt-compare.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** XYZ tile holding (lon, lat) at zoom z. */
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

async function tile(path) {
  const r = await fetch(BASE + path);
  return { status: r.status, type: r.headers.get('content-type'), bytes: new Uint8Array(await r.arrayBuffer()) };
}

test('every feature of the .mlt tiles decodes to the same id, properties and rings as the .mvt', async () => {
  const tj = await api('/tiles.json');
  const [w, s, e, n] = tj.bounds;
  const [clon, clat] = tj.center;
  const points = [[clon, clat], [w + (e - w) * 0.3, s + (n - s) * 0.7], [w + (e - w) * 0.8, s + (n - s) * 0.2]];
  const seen = new Set();
  let tiles = 0;
  let features = 0;
  for (let z = tj.minzoom; z <= tj.maxzoom; z++) {
    for (const [lon, lat] of points) {
      const [x, y] = tileOf(lon, lat, z);
      const key = `${z}/${x}/${y}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const [mvt, mlt] = [await tile(`/tiles/${key}.mvt`), await tile(`/tiles/${key}.mlt`)];
      assert.equal(mlt.status, mvt.status, `${key}: status`);
      if (mvt.status === 204) continue;
      assert.equal(mlt.status, 200, key);
      assert.equal(mlt.type, 'application/vnd.maplibre-vector-tile', key);
      const r = compare(mvtLayers(mvt.bytes), mltLayers(mlt.bytes));
      assert.equal(r.diff, null, `${key}: ${r.diff}`);
      tiles++;
      features += r.features;
    }
  }
  console.log(`MLT against MVT: ${tiles} tiles, ${features} features identical`);
  assert.ok(tiles >= 15 && features > 5000, `only ${tiles} tiles, ${features} features compared`);
});

test('MapLibre renders the same areas from an MLT source as from an MVT source', async () => {
  const tj = await api('/tiles.json');
  const { page, errors } = await openMap(browser.context);
  // Tiles are fetched from MapLibre's worker: count them at the network.
  let mltRequests = 0;
  page.on('request', (r) => { if (r.url().endsWith('.mlt')) mltRequests++; });
  const found = await page.evaluate(async ({ base, center }) => {
    const map = window.dxmap.map;
    for (const [id, ext, encoding] of [['check-mvt', 'mvt', 'mvt'], ['check-mlt', 'mlt', 'mlt']]) {
      map.addSource(id, { type: 'vector', encoding, tiles: [`${base}/tiles/{z}/{x}/{y}.${ext}`], minzoom: 0, maxzoom: 14 });
      map.addLayer({ id, type: 'fill', source: id, 'source-layer': 'lsoa', paint: { 'fill-opacity': 0 } });
    }
    const out = [];
    for (const zoom of [9, 12, 14]) {
      map.jumpTo({ center, zoom });
      await new Promise((r) => map.once('idle', r));
      const read = (id) => {
        const byCode = {};
        for (const f of map.querySourceFeatures(id, { sourceLayer: 'lsoa' })) byCode[f.properties.code] = [f.id, f.properties.index ?? null, f.properties.decile ?? null];
        return byCode;
      };
      out.push({ zoom, mvt: read('check-mvt'), mlt: read('check-mlt') });
    }
    return { out };
  }, { base: BASE, center: tj.center.slice(0, 2) });
  for (const { zoom, mvt, mlt } of found.out) {
    const codes = Object.keys(mvt).sort();
    console.log(`zoom ${zoom}: ${codes.length} areas from MVT, ${Object.keys(mlt).length} from MLT`);
    assert.ok(codes.length > 0, `zoom ${zoom}: no areas`);
    assert.deepEqual(Object.keys(mlt).sort(), codes, `zoom ${zoom}: the same areas`);
    assert.deepEqual(mlt, mvt, `zoom ${zoom}: the same ids, index and decile`);
  }
  assert.ok(mltRequests > 0, 'MapLibre fetched .mlt tiles');
  assert.deepEqual(errors, []);
});
