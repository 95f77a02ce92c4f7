// Pure data helpers for the web map: palettes, class breaks, browser-side
// re-weighting, MapLibre paint expressions, ward roll-up and CSV. No DOM here,
// so node can import this file directly in tests.

// Viridis sampled at 10 steps, reversed so that dark = highest risk.
export const PALETTE = [
  '#fde725', '#b5de2b', '#6ece58', '#35b779', '#1f9e89',
  '#26828e', '#31688e', '#3e4989', '#482878', '#440154',
];
export const MISSING = '#c8c8c8';
export const OUTSIDE = '#eeeeee';
// Too few inputs for an index: a colour of its own, apart from the palette and "no data".
export const INSUFFICIENT = '#e8a0b4';

/** Sorted finite values of an array (null/NaN dropped). */
export function finiteSorted(values) {
  // A typed array sorts numerically without a comparator, several times faster.
  const out = new Float64Array(values.length);
  let n = 0;
  for (const v of values) if (v !== null && v !== undefined && Number.isFinite(v)) out[n++] = v;
  return out.subarray(0, n).sort();
}

/** Nine interior breakpoints splitting the values into ten equal-count classes. */
export function decileBreaks(values) {
  const s = finiteSorted(values);
  if (s.length === 0) return [];
  const out = [];
  for (let k = 1; k < 10; k++) out.push(s[Math.min(s.length - 1, Math.floor((k * s.length) / 10))]);
  return out;
}

/** Nine interior breakpoints of ten equal-width classes over [lo, hi]. */
export function fixedBreaks(lo = 0, hi = 10) {
  const out = [];
  for (let k = 1; k < 10; k++) out.push(lo + ((hi - lo) * k) / 10);
  return out;
}

/** MapLibre "step" needs strictly ascending stops; ties collapse classes. */
function stepStops(breaks) {
  const stops = [];
  let last = -Infinity;
  breaks.forEach((b, i) => {
    if (b > last) {
      stops.push(b, PALETTE[i + 1]);
      last = b;
    }
  });
  return stops;
}

/** Colour expression for a numeric expression `value` with `breaks`. */
export function stepExpr(value, breaks) {
  const stops = stepStops(breaks);
  return stops.length ? ['step', value, PALETTE[0], ...stops] : PALETTE[0];
}

/** Class (0–9) of a value under `breaks`, as MapLibre's "step" assigns it. */
export function classOf(v, breaks) {
  let c = 0;
  let last = -Infinity;
  breaks.forEach((b, i) => {
    if (b > last) {
      if (v >= b) c = i + 1;
      last = b;
    }
  });
  return c;
}

/** Fill colour for a tile property, grey when absent. */
export function propertyColour(prop, breaks) {
  return ['case', ['has', prop], stepExpr(['to-number', ['get', prop]], breaks), MISSING];
}

/** Class numbers beyond the ten colour classes, held in feature-state `k`. */
export const CLASS_MISSING = 10;
export const CLASS_OUTSIDE = 11;
export const CLASS_INSUFFICIENT = 12;

/**
 * The map's one fill-colour expression: the colour class (0–9, or
 * CLASS_MISSING / CLASS_OUTSIDE / CLASS_INSUFFICIENT) held in feature-state `k`, or `fallback`
 * for areas without one. It never changes after the map is created: in
 * MapLibre, changing a data-driven paint property makes the worker lay out
 * every loaded tile again, while changing feature-state only rewrites colours.
 */
export function classColour(fallback) {
  const arms = [];
  PALETTE.forEach((c, i) => arms.push(i, c));
  arms.push(CLASS_MISSING, MISSING, CLASS_OUTSIDE, OUTSIDE, CLASS_INSUFFICIENT, INSUFFICIENT);
  return ['match', ['to-number', ['coalesce', ['feature-state', 'k'], -1]], ...arms, fallback];
}

/**
 * Weights as used by the browser: `{components: {id: w}, indicators: {id: w}}`.
 * Component score = weighted mean of its indicator scores present; index =
 * weighted mean of the component scores present (both on 0–10).
 */
export function defaultWeights(methodology) {
  const w = { components: {}, indicators: {} };
  for (const c of methodology.components) {
    w.components[c.id] = c.weight;
    for (const i of c.indicators) w.indicators[i.id] = i.weight;
  }
  return w;
}

export function sameWeights(a, b) {
  for (const k of ['components', 'indicators']) {
    for (const id of Object.keys(a[k])) if (Math.abs(a[k][id] - b[k][id]) > 1e-12) return false;
  }
  return true;
}

/**
 * Re-weighted index for every area, by the server's own arithmetic
 * (src/score/weights.rs, methodology/README.md "Coverage and insufficient
 * data"), so that on /api/scores-exact it agrees with the server to the
 * last bit: weights normalised by their sums; a component is the weighted
 * mean of its indicators present, where their weight share reaches
 * `min_coverage`; the index is the weighted mean of the components scored,
 * clamped to 0–10 and, with `rescale = "minmax"`, min–max rescaled within
 * each scope group (`scores.group`; one group without it). An area whose
 * present inputs carry less than `min_coverage` of the index weight, or of
 * any weighted component's, or that lacks any input (whatever its weight)
 * under `missing = "exclude_area"`, has no index: NaN, as the server gives
 * none. So moving a slider never gives an insufficient-data area a partial
 * score. `scores` is /api/scores-exact, or /api/scores (4 decimals).
 */
export function reweight(methodology, scores, weights) {
  const n = scores.code.length;
  const t = (methodology.min_coverage ?? 0.75) - 1e-9; // the server's threshold(): 1e-9 slack
  const exclude = methodology.missing === 'exclude_area';
  const comps = methodology.components;
  const pos = (w) => (Number.isFinite(w) && w > 0 ? w : 0);
  let ctot = 0;
  for (const c of comps) ctot += pos(weights.components[c.id]);
  const inum = new Float64Array(n);
  const iden = new Float64Array(n);
  const cov = new Float64Array(n);
  const short = new Uint8Array(n);
  const present = new Uint32Array(n);
  let k = 0;
  for (const c of comps) {
    const cw = ctot > 0 ? pos(weights.components[c.id]) / ctot : 0;
    let itot = 0;
    for (const ind of c.indicators) itot += pos(weights.indicators[ind.id]);
    const num = new Float64Array(n);
    const den = new Float64Array(n);
    for (const ind of c.indicators) {
      k++;
      const w = itot > 0 ? pos(weights.indicators[ind.id]) / itot : 0;
      const col = scores['i_' + ind.id];
      for (let a = 0; a < n; a++) {
        const v = col ? col[a] : null;
        if (v !== null && v !== undefined && Number.isFinite(v)) {
          num[a] += w * v;
          den[a] += w;
          present[a]++;
        }
      }
    }
    for (let a = 0; a < n; a++) {
      const d = den[a];
      cov[a] += cw * d;
      if (d > 0 && d >= t) {
        inum[a] += cw * (num[a] / d);
        iden[a] += cw;
      } else if (cw > 0 && d < t) short[a] = 1;
    }
  }
  const out = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const ok = !(exclude && present[a] < k) && !short[a] && cov[a] >= t && iden[a] > 0;
    out[a] = ok ? Math.min(Math.max(inum[a] / iden[a], 0), 10) : NaN;
  }
  if (methodology.rescale === 'minmax') rescaleWithin(out, scores.group);
  return out;
}

/** The groups of `group` (one per area, null: none; absent: one group) as lists of positions. */
function groupMembers(n, group) {
  const byGroup = new Map();
  for (let a = 0; a < n; a++) {
    const g = group ? group[a] : 0;
    if (g === null || g === undefined) continue;
    let m = byGroup.get(g);
    if (!m) byGroup.set(g, (m = []));
    m.push(a);
  }
  return byGroup;
}

/** Min–max rescales `values` to 0–10 within each group, as the server's `rescale = "minmax"` (a group of one value gives 5). */
function rescaleWithin(values, group) {
  for (const members of groupMembers(values.length, group).values()) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const a of members) if (!Number.isNaN(values[a])) { lo = Math.min(lo, values[a]); hi = Math.max(hi, values[a]); }
    for (const a of members) {
      if (Number.isNaN(values[a])) continue;
      values[a] = hi > lo ? Math.min(Math.max((10 * (values[a] - lo)) / (hi - lo), 0), 10) : 5;
    }
  }
}

/**
 * Ward values from per-area `values`: summed when `rollup` is 'sum' (head-counts,
 * as /api/meta `fields` says), otherwise the population-weighted mean. Wards are
 * keyed by code. Returns {wards: [{code, name, borough, value, population, areas}],
 * perArea: Float64Array} (perArea = the ward's value).
 */
export function wardRollup(scores, values, rollup = 'population_weighted_mean') {
  const acc = new Map();
  const n = scores.code.length;
  const sum = rollup === 'sum';
  for (let a = 0; a < n; a++) {
    const w = scores.ward_code?.[a];
    if (w === null || w === undefined || w === '') continue;
    let e = acc.get(w);
    if (!e) acc.set(w, (e = { code: w, name: scores.ward_name?.[a] ?? w, num: 0, pop: 0, areas: 0, present: 0, borough: scores.borough_code?.[a] }));
    e.areas++;
    const v = values[a];
    const p = scores.population?.[a] ?? 1;
    if (Number.isFinite(p) && p > 0) e.pop += p;
    if (!Number.isFinite(v)) continue;
    if (sum) {
      e.num += v;
      e.present++;
    } else if (Number.isFinite(p) && p > 0) {
      e.num += v * p;
      e.present += p;
    }
  }
  const wards = [...acc.values()]
    .map((e) => ({ code: e.code, name: e.name, borough: e.borough, areas: e.areas, population: e.pop, value: e.present > 0 ? (sum ? e.num : e.num / e.present) : NaN }))
    .sort((x, y) => (x.code < y.code ? -1 : x.code > y.code ? 1 : 0));
  const byCode = new Map(wards.map((w) => [w.code, w.value]));
  const perArea = new Float64Array(n);
  for (let a = 0; a < n; a++) perArea[a] = byCode.get(scores.ward_code?.[a]) ?? NaN;
  return { wards, perArea };
}

/**
 * Rank (1 = highest) and decile (10 = highest tenth) of each finite value
 * within its scope group, by the server's rule (src/score/rank.rs): ties go
 * to the earlier area, and decile = 10 − ⌊(rank − 1) · 10 / N⌋ with N the
 * areas ranked in the group. `group` gives each area's group (null: none,
 * unranked), as /api/scores-exact does; without it all areas are one group.
 * Returns {rank, decile, of}, `of` being each ranked area's N.
 */
export function rankAndDecile(values, group) {
  const n = values.length;
  const rank = new Array(n).fill(null);
  const decile = new Array(n).fill(null);
  const of = new Array(n).fill(null);
  for (const members of groupMembers(n, group).values()) {
    const idx = members.filter((a) => Number.isFinite(values[a]));
    idx.sort((x, y) => values[y] - values[x] || x - y);
    idx.forEach((a, r) => {
      rank[a] = r + 1;
      decile[a] = 10 - Math.min(9, Math.floor((r * 10) / idx.length));
      of[a] = idx.length;
    });
  }
  return { rank, decile, of };
}

/** RFC 4180 CSV from a header and rows of plain values. */
export function toCsv(header, rows) {
  const cell = (v) => {
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
    const s = typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Hash state <-> object. Weights are encoded as id:w pairs. */
export function encodeState(s) {
  const p = new URLSearchParams();
  if (s.layer && s.layer !== 'index') p.set('layer', s.layer);
  if (s.scale && s.scale !== 'decile') p.set('scale', s.scale);
  if (s.weights) {
    const parts = [];
    for (const k of ['components', 'indicators']) for (const [id, w] of Object.entries(s.weights[k])) parts.push(`${k[0]}.${id}:${+w.toPrecision(6)}`);
    if (parts.length) p.set('w', parts.join(','));
  }
  if (s.boroughs?.length) p.set('b', s.boroughs.join(','));
  if (s.norm === 'selection') p.set('norm', 'selection');
  if (s.wards) p.set('wards', '1');
  if (s.area) p.set('area', s.area);
  if (s.view) p.set('view', s.view.map((x) => +x.toFixed(5)).join('/'));
  return p.toString();
}

export function decodeState(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s = {};
  if (p.get('layer')) s.layer = p.get('layer');
  if (p.get('scale')) s.scale = p.get('scale');
  if (p.get('w')) {
    s.weights = { components: {}, indicators: {} };
    for (const part of p.get('w').split(',')) {
      const m = part.match(/^([ci])\.(.+):([0-9.]+)$/);
      if (m) s.weights[m[1] === 'c' ? 'components' : 'indicators'][m[2]] = Number(m[3]);
    }
  }
  if (p.get('b')) s.boroughs = p.get('b').split(',').filter(Boolean);
  if (p.get('norm')) s.norm = p.get('norm');
  if (p.get('wards')) s.wards = true;
  if (p.get('area')) s.area = p.get('area');
  if (p.get('view')) {
    const v = p.get('view').split('/').map(Number);
    if (v.length === 3 && v.every(Number.isFinite)) s.view = v;
  }
  return s;
}
