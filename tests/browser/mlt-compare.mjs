// MapLibre Tiles against MVT: decodes an .mlt tile with @maplibre/mlt (the
// decoder MapLibre GL JS uses for `encoding: "mlt"`) and the same tile's
// MVT with @mapbox/vector-tile, and compares every layer and feature: id,
// properties and rings. Imported by mlt.test.js; as a command,
// `node mlt-compare.mjs DIR` compares every DIR/NAME.mvt with DIR/NAME.mlt,
// prints a JSON summary and exits 1 on the first difference.
import { register } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

register('./mlt-resolve.mjs', import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODULES = path.resolve(HERE, '../../web/node_modules');
const load = (p) => import(pathToFileURL(path.join(MODULES, p)).href);
const { decodeTile } = await load('@maplibre/mlt/dist/index.js');
const { VectorTile } = await load('@mapbox/vector-tile/index.js');
const { PbfReader } = await load('pbf/index.js');

const ring = (points) => points.map((p) => [p.x, p.y]);

/** Layer name → { extent, features: [{ id, properties, rings }] } of an MVT. */
export function mvtLayers(bytes) {
  const tile = new VectorTile(new PbfReader(new Uint8Array(bytes)));
  const out = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      features.push({ id: f.id, properties: f.properties, rings: f.loadGeometry().map(ring) });
    }
    out[name] = { extent: layer.extent, features };
  }
  return out;
}

/** The same for an MLT: MultiPolygons come flattened to their rings, as MapLibre reads them. */
export function mltLayers(bytes) {
  const out = {};
  for (const table of decodeTile(new Uint8Array(bytes))) {
    const features = table.getFeatures().map((f) => ({
      id: f.id,
      properties: f.properties,
      rings: f.geometry.coordinates.map(ring),
    }));
    out[table.name] = { extent: table.extent, features };
  }
  return out;
}

/** The first difference between two decoded tiles, or null; and the features compared. */
export function compare(mvt, mlt) {
  const names = [Object.keys(mvt).sort(), Object.keys(mlt).sort()];
  if (!isDeepStrictEqual(names[0], names[1])) return { diff: `layers ${names[0]} vs ${names[1]}`, features: 0 };
  let features = 0;
  for (const name of names[0]) {
    const [a, b] = [mvt[name], mlt[name]];
    if (a.extent !== b.extent) return { diff: `${name}: extent ${a.extent} vs ${b.extent}`, features };
    if (a.features.length !== b.features.length) {
      return { diff: `${name}: ${a.features.length} features vs ${b.features.length}`, features };
    }
    for (let i = 0; i < a.features.length; i++) {
      const [f, g] = [a.features[i], b.features[i]];
      const at = `${name}: feature ${i} (id ${f.id})`;
      if (f.id !== g.id) return { diff: `${at}: id ${f.id} vs ${g.id}`, features };
      for (const k of new Set([...Object.keys(f.properties), ...Object.keys(g.properties)])) {
        if (!Object.is(f.properties[k], g.properties[k]) && f.properties[k] !== g.properties[k]) {
          return { diff: `${at}: '${k}' ${f.properties[k]} vs ${g.properties[k]}`, features };
        }
      }
      if (!isDeepStrictEqual(f.rings, g.rings)) {
        return { diff: `${at}: rings ${JSON.stringify(f.rings).slice(0, 200)} vs ${JSON.stringify(g.rings).slice(0, 200)}`, features };
      }
      features++;
    }
  }
  return { diff: null, features };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = process.argv[2];
  let tiles = 0;
  let features = 0;
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.mlt')).sort()) {
    const mvt = fs.readFileSync(path.join(dir, name.replace(/\.mlt$/, '.mvt')));
    const r = compare(mvtLayers(mvt), mltLayers(fs.readFileSync(path.join(dir, name))));
    if (r.diff) {
      console.log(JSON.stringify({ tile: name, diff: r.diff }));
      process.exit(1);
    }
    tiles++;
    features += r.features;
  }
  console.log(JSON.stringify({ tiles, features }));
}
