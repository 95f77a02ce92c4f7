// The page's state and the data it draws from, shared by the page's modules:
// the view state `S` (layer, scale, weights, selection, wards, open area),
// the API documents (/api/meta, /api/methodology, /api/scores, /tiles.json)
// and the map once main() has set them, lookups built from them, the
// per-area values of the layer shown, and the URL hash that records the view.
// Other modules read the documents through these live bindings; only the
// setters below assign them.
import * as M from './model.js';
import { formatValue } from './format.js';
import { needLabel, needValues } from './needs.js';

export const $ = (id) => document.getElementById(id);
export const SRC = 'dx';

export const S = {
  layer: 'index',
  scale: 'decile',
  weights: null,
  defaults: null,
  selBoroughs: new Set(),
  rectCodes: new Set(),
  norm: 'all',
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
export const dx = { state: S, timings: {}, ready: false, errors: [] };
window.dxmap = dx;

export async function getJson(url, init) {
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

export function setStatus(text) { $('status').textContent = text; }

// ---------- data helpers ----------
export let meta, meth, scores, tilejson, map;
/** Sets the small API documents, then the scores, then the map, as main() gets them. */
export function setDocuments(m, me, tj) { meta = m; meth = me; tilejson = tj; }

/** True on a static copy of the map (`dxmap export site`): no server to
 * re-score a selection, download or search areas by bounding box. */
export const isStatic = () => meta?.static === true;

/** Tile URL templates made absolute: a static site's TileJSON gives them
 * relative to the page (its URL is not known when it is written). Joined by
 * hand, since URL() would percent-encode the {z}/{x}/{y} braces. */
export function tileUrls(tiles) {
  const base = location.href.replace(/[?#].*$/, '').replace(/[^/]*$/, '');
  return (tiles ?? []).map((t) => (/^[a-z][a-z0-9+.-]*:/i.test(t) ? t : base + t.replace(/^\.\//, '')));
}
export function setScores(s) { scores = s; }
export function setMap(m) { map = m; }
export let keyGroups = null; // columnar key-group estimates, fetched when a key-group layer is first shown
export const codeIndex = new Map();
export const boroughByCode = new Map();
export const indicatorLabel = new Map();
export const componentLabel = new Map();

export const boroughNameOf = (code) => boroughByCode.get(code)?.name ?? code;
/** A field's entry in /api/meta `fields` (name, label, kind, unit, decimals, rollup). */
export const fieldOf = (name) => meta.fields?.find((f) => f.name === name);

export function layerLabel(layer) {
  if (layer === 'index') return 'Digital exclusion risk index';
  if (layer.startsWith('c_')) return 'Component: ' + (componentLabel.get(layer.slice(2)) ?? layer.slice(2));
  if (layer.startsWith('i_')) return 'Indicator score: ' + (indicatorLabel.get(layer.slice(2)) ?? layer.slice(2));
  if (layer === 'p_top') return 'Uncertainty: probability of being in the top-risk decile';
  if (layer.startsWith('n_')) return needLabel(meth, layer);
  const p = meth.personas?.find((q) => layer === `k_${q.id}_share` || layer === `k_${q.id}_count`);
  const lab = p ? p.label : layer;
  return layer.endsWith('_share') ? `Key group (share of residents): ${lab}` : `Key group (estimated residents): ${lab}`;
}

export const weightsDefault = () => M.sameWeights(S.weights, S.defaults);

/**
 * /api/scores-exact: the index and every component and indicator score
 * unrounded, and each area's scope group, so that re-weighting and ranking
 * here agree with the server (to 1e-9, and rank for rank). Fetched once,
 * the first time it is needed (weights that differ from the methodology's,
 * or ranks in the table); until it is in, re-weighting reads /api/scores
 * (4 decimals) and the map is coloured again when it arrives.
 */
export let exact = null;
let exactP = null;
export function ensureExact() {
  if (exact) return Promise.resolve(exact);
  exactP ??= getJson('api/scores-exact').then((e) => {
    exact = e;
    if (S.values) dx.recolour?.();
    return e;
  }, (e) => {
    exactP = null;
    setStatus('Exact scores could not load: ' + e.message);
    return null;
  });
  return exactP;
}

/** The index at the user's weights, computed here as the server would. */
export function reweightedIndex() {
  if (!exact) ensureExact();
  return M.reweight(meth, exact ?? scores, S.weights);
}

/**
 * Ranks and deciles of per-area `values` within the methodology's scope
 * groups (as the server ranks the index), with each area's group size `of`
 * and `groupName(a)` ("areas in Camden") where the page ranks; all null
 * until the groups are in.
 */
export function rankInScope(values) {
  // A selection's scores are normalised and ranked within the selection: one group.
  if (S.norm === 'selection' && S.selResult && (S.layer === 'index' || S.layer.startsWith('c_'))) {
    return { ...M.rankAndDecile(values), groupName: () => 'the selection' };
  }
  // The index at the methodology's weights is ranked by the server: its
  // ranks and deciles are in /api/scores, with no need of the exact body.
  const groupName = (a) => exact?.groups?.[exact.group[a]] ?? null;
  if (S.layer === 'index' && !S.wards && weightsDefault()) {
    // N: the areas ranked in each group, once the groups are in.
    const of = new Array(values.length).fill(null);
    if (exact) {
      const n = new Map();
      exact.group.forEach((g, a) => { if (scores.rank[a] != null) n.set(g, (n.get(g) ?? 0) + 1); });
      scores.rank.forEach((r, a) => { if (r != null) of[a] = n.get(exact.group[a]); });
    }
    return { rank: scores.rank, decile: scores.decile, of, groupName };
  }
  if (!exact) {
    ensureExact();
    const none = new Array(values.length).fill(null);
    return { rank: none, decile: none, of: none, groupName: () => null };
  }
  return { ...M.rankAndDecile(values, exact.group), groupName };
}

/** Per-area values of a columnar layer as scored over all areas (not re-normalised to a selection), or null. */
export function allAreaValues(layer) {
  if (layer === 'index') return weightsDefault() ? Float64Array.from(scores.index, num) : reweightedIndex();
  if (/^(c|i)_/.test(layer) && scores[layer]) return Float64Array.from(scores[layer], num);
  if (layer === 'p_top' && scores.p_top) return Float64Array.from(scores.p_top, num);
  const k = layer.match(/^k_(.+)_(share|count)$/);
  const col = k && keyGroups?.groups?.[k[1]]?.[k[2]];
  if (col) return Float64Array.from(col, num);
  if (layer.startsWith('n_')) return needValues(keyGroups, layer, num);
  return null;
}
export function num(v) { return v === null || v === undefined ? NaN : Number(v); }


/** Key-group columns, fetched the first time a key-group layer is shown. */
export async function ensureKeyGroups() {
  if (keyGroups || !/^[kn]_/.test(S.layer)) return;
  keyGroups = await getJson('api/key-groups');
}

export function selectedCodes() {
  const out = new Set(S.rectCodes);
  if (S.selBoroughs.size) {
    scores.code.forEach((c, a) => { if (S.selBoroughs.has(scores.borough_code[a])) out.add(c); });
  }
  return out;
}

/** The values the map shows now, one per area (NaN where there is none). */
export function currentValues() {
  let v = allAreaValues(S.layer);
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
export const legendFormat = (v) => formatValue(fieldOf(S.layer), v);
/** Indicator label by id (missing inputs are indicator ids). */
export const indicatorName = (id) => indicatorLabel.get(id) ?? id;
export const insufficientAt = (a) => scores.index_status?.[a] === 'insufficient_data';
/** Areas with insufficient data for an index. */
export const insufficientCount = () => (scores?.index_status ?? []).filter((x) => x === 'insufficient_data').length;
/** Layers whose gaps are the index's: an area without one has insufficient data. */
export const indexLayer = (layer) => layer === 'index';

/** A property the API does not serve, read from the loaded tiles (NaN elsewhere). */
export function tileColumn(layer) {
  const out = new Float64Array(scores.code.length).fill(NaN);
  for (const f of map.querySourceFeatures(SRC, { sourceLayer: 'lsoa' })) {
    const v = f.properties[layer];
    const a = codeIndex.get(f.properties.code);
    if (v !== undefined && a !== undefined) out[a] = Number(v);
  }
  return out;
}

// ---------- URL state ----------
/** Only the weights that differ from the methodology's, to keep URLs short. */
export function changedWeights() {
  const out = { components: {}, indicators: {} };
  for (const k of ['components', 'indicators']) {
    for (const [id, w] of Object.entries(S.weights[k])) if (Math.abs(w - S.defaults[k][id]) > 1e-12) out[k][id] = w;
  }
  return out;
}

export function writeHash() {
  if (!map) return;
  const c = map.getCenter();
  const s = {
    layer: S.layer, scale: S.scale, boroughs: [...S.selBoroughs], norm: S.norm, wards: S.wards, area: S.area,
    weights: weightsDefault() ? null : changedWeights(),
    view: [c.lng, c.lat, map.getZoom()],
  };
  history.replaceState(null, '', '#' + M.encodeState(s));
}
