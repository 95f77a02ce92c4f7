// Node-only checks of web/model.js: the JS re-weighting behind the map, the
// table and downloads, and the paint expressions the map colours with
// (evaluated with MapLibre's own style-spec expression engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as M from '../../web/model.js';
import { createExpression, isExpression } from '../../web/node_modules/@maplibre/maplibre-gl-style-spec/dist/index.mjs';

// min_coverage 0: any present input makes a score (the methodology's
// `skip` without a coverage floor); the coverage rule has its own test.
const meth = {
  min_coverage: 0,
  missing: 'skip',
  components: [
    { id: 'a', weight: 2, indicators: [{ id: 'x', weight: 1 }, { id: 'y', weight: 3 }] },
    { id: 'b', weight: 1, indicators: [{ id: 'z', weight: 1 }] },
    { id: 'c', weight: 0.5, indicators: [{ id: 'u', weight: 1 }, { id: 'v', weight: 0 }] },
  ],
};

function rng(seed) { let s = seed >>> 0; return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32); }

function fixture(n) {
  const r = rng(7);
  const scores = { code: [], i_x: [], i_y: [], i_z: [], i_u: [], i_v: [] };
  for (let a = 0; a < n; a++) {
    scores.code.push('E' + a);
    for (const k of ['i_x', 'i_y', 'i_z', 'i_u', 'i_v']) scores[k].push(r() < 0.15 ? null : Math.round(r() * 1000) / 100);
  }
  return scores;
}

function evalExpr(expr, props, state) {
  const e = createExpression(expr, 'layers[0].paint.fill-color');
  assert.equal(e.result, 'success', JSON.stringify(e.value));
  return e.value.evaluate({ zoom: 10 }, { type: 'Polygon', properties: props, geometry: [] }, state);
}

test('re-weighting is the weighted mean of component weighted means, skipping missing values', () => {
  // Hand-worked: a = (1*x + 3*y)/4 over present indicators, b = z, c = u (v has weight 0);
  // index = (2a + 1b + 0.5c) / (weights of components with any value).
  const scores = { code: ['p', 'q', 'r'], i_x: [2, null, null], i_y: [6, 4, null], i_z: [1, null, null], i_u: [8, 2, null], i_v: [9, 9, 9] };
  const out = M.reweight(meth, scores, M.defaultWeights(meth));
  assert.ok(Math.abs(out[0] - (2 * 5 + 1 * 1 + 0.5 * 8) / 3.5) < 1e-12, `p: ${out[0]}`);
  assert.ok(Math.abs(out[1] - (2 * 4 + 0.5 * 2) / 2.5) < 1e-12, `q: ${out[1]}`);
  assert.ok(Number.isNaN(out[2]), 'r has only a zero-weight indicator');
  const onlyB = M.reweight(meth, scores, { components: { a: 0, b: 1, c: 0 }, indicators: { x: 1, y: 3, z: 1, u: 1, v: 0 } });
  assert.equal(onlyB[0], 1);
  assert.ok(Number.isNaN(onlyB[1]));
});

test('re-weighting applies min_coverage and exclude_area as the server does: no partial scores', () => {
  // The same areas as above, at min_coverage 0.75. p is complete but for x
  // (component a: 3/4 of its weight present, just enough); q lacks x and z:
  // component b has none of its weight, so q is insufficient data.
  const strict = { ...meth, min_coverage: 0.75 };
  const scores = { code: ['p', 'q', 's'], i_x: [null, null, 1], i_y: [6, 4, 2], i_z: [1, null, 3], i_u: [8, 2, 4], i_v: [9, 9, null] };
  const w = M.defaultWeights(strict);
  const out = M.reweight(strict, scores, w);
  assert.ok(Math.abs(out[0] - (2 * 6 + 1 * 1 + 0.5 * 8) / 3.5) < 1e-12, `p: ${out[0]}`);
  assert.ok(Number.isNaN(out[1]), 'q: component b has no input: insufficient, not a partial score');
  assert.ok(Math.abs(out[2] - (2 * (1 + 3 * 2) / 4 + 1 * 3 + 0.5 * 4) / 3.5) < 1e-12, `s: ${out[2]} (v missing but weight 0)`);
  // Weighting x up to 3 (y stays 3) leaves p with half of component a: insufficient.
  const heavier = M.reweight(strict, scores, { ...w, indicators: { ...w.indicators, x: 3 } });
  assert.ok(Number.isNaN(heavier[0]), 'p: half of component a present is under 0.75');
  // Switching component b off makes q's coverage (2/2.5 = 0.8 of the index, a at 0.75) enough.
  const noB = M.reweight(strict, scores, { ...w, components: { ...w.components, b: 0 } });
  assert.ok(Math.abs(noB[1] - (2 * 4 + 0.5 * 2) / 2.5) < 1e-12, `q without b: ${noB[1]}`);
  // exclude_area: any missing input leaves the area without an index, as
  // the server rules (methodology/README.md: "any missing indicator"),
  // whatever the input's weight.
  const ex = M.reweight({ ...meth, missing: 'exclude_area' }, scores, w);
  assert.ok(Number.isNaN(ex[0]) && Number.isNaN(ex[1]), 'p and q each lack an input');
  assert.ok(Number.isNaN(ex[2]), 's lacks v: a zero weight does not make it optional');
  const complete = { ...scores, i_v: [9, 9, 1] };
  const ex2 = M.reweight({ ...meth, missing: 'exclude_area' }, complete, w);
  assert.ok(Math.abs(ex2[2] - out[2]) < 1e-12, `s with every input: ${ex2[2]}`);
});

test('re-weighting rescales within scope groups when the methodology says minmax', () => {
  // One indicator, so the weighted mean is the score itself; two groups
  // and an area outside both. Group 0: 2, 4, 6 -> 0, 5, 10; group 1 has one
  // value, a degenerate range: 5, as the server gives.
  const m = { min_coverage: 0, missing: 'skip', rescale: 'minmax', components: [{ id: 'a', weight: 1, indicators: [{ id: 'x', weight: 1 }] }] };
  const scores = { code: ['p', 'q', 'r', 's', 't'], i_x: [2, 4, 7, 6, null], group: [0, 0, 1, 0, null] };
  const out = Array.from(M.reweight(m, scores, M.defaultWeights(m)));
  assert.deepEqual(out.slice(0, 4), [0, 5, 5, 10]);
  assert.ok(Number.isNaN(out[4]));
});

test('ranks and deciles are within scope groups, ties to the earlier area (worked by hand)', () => {
  // Group 0 holds areas 0, 2, 3, 5, 6 (values 5, 7, 5, 1, NaN); group 1
  // holds 1 and 4 (3, 3: a tie); area 7 is outside every group.
  // Group 0 ranked (4 areas): 7 (area 2) = 1, 5 (area 0, earlier) = 2,
  // 5 (area 3) = 3, 1 (area 5) = 4; deciles 10 - floor((r-1)*10/4):
  // 10, 8, 5, 3. Group 1: area 1 = 1 (decile 10), area 4 = 2 (decile 5).
  const values = [5, 3, 7, 5, 3, 1, NaN, 9];
  const group = [0, 1, 0, 0, 1, 0, 0, null];
  const rd = M.rankAndDecile(values, group);
  assert.deepEqual(rd.rank, [2, 1, 1, 3, 2, 4, null, null]);
  assert.deepEqual(rd.decile, [8, 10, 10, 5, 5, 3, null, null]);
  assert.deepEqual(rd.of, [4, 2, 4, 4, 2, 4, null, null]);
  // Without groups: one group of all seven finite values; area 7 (9) first.
  const all = M.rankAndDecile(values);
  assert.deepEqual(all.rank, [3, 5, 2, 4, 6, 7, null, 1]);
  assert.deepEqual(all.decile, [8, 5, 9, 6, 3, 2, null, 10]);
});

test('the fixed class expression colours by feature-state class, else by its fallback', () => {
  const scores = fixture(200);
  const js = M.reweight(meth, scores, M.defaultWeights(meth));
  const breaks = M.decileBreaks(js);
  const expr = M.classColour(M.propertyColour('index', breaks));
  assert.ok(isExpression(expr));
  js.forEach((v, a) => {
    const k = Number.isFinite(v) ? M.classOf(v, breaks) : M.CLASS_MISSING;
    assert.equal(String(evalExpr(expr, {}, { k })), Number.isFinite(v) ? M.PALETTE[k] : M.MISSING, `area ${a}`);
    // Without a class the tile property decides, with the same classes.
    const props = Number.isFinite(v) ? { index: v } : {};
    assert.equal(String(evalExpr(expr, props, {})), Number.isFinite(v) ? M.PALETTE[k] : M.MISSING, `area ${a} fallback`);
  });
  assert.equal(String(evalExpr(expr, { index: 1 }, { k: M.CLASS_OUTSIDE })), M.OUTSIDE);
});

test('decile breaks split into equal tenths and survive ties', () => {
  const v = Array.from({ length: 1000 }, (_, i) => i);
  const b = M.decileBreaks(v);
  const counts = new Array(10).fill(0);
  for (const x of v) counts[M.classOf(x, b)]++;
  assert.deepEqual(counts, new Array(10).fill(100));
  const tied = M.decileBreaks([...new Array(500).fill(1), ...Array.from({ length: 500 }, (_, i) => 2 + i)]);
  const expr = M.stepExpr(['get', 'v'], tied);
  assert.equal(createExpression(expr, 'layers[0].paint.fill-color').result, 'success', 'tied breaks still make a valid step expression');
  assert.deepEqual(M.decileBreaks([null, NaN, undefined]), []);
});

test('ward roll-up is population weighted and keeps same-named wards apart', () => {
  const scores = { code: ['a', 'b', 'c', 'd'], borough_code: ['X', 'X', 'Y', 'Y'], ward_code: ['W1', 'W1', 'W2', null], ward_name: ['W', 'W', 'W', null], population: [100, 300, 50, 10] };
  const r = M.wardRollup(scores, [1, 5, 9, 2]);
  assert.equal(r.wards.length, 2);
  assert.equal(r.wards[0].value, (1 * 100 + 5 * 300) / 400);
  assert.equal(r.wards[1].value, 9);
  assert.deepEqual(r.wards.map((w) => [w.code, w.name, w.borough]), [['W1', 'W', 'X'], ['W2', 'W', 'Y']]);
  assert.deepEqual(Array.from(r.perArea).slice(0, 3), [4, 4, 9]);
  assert.ok(Number.isNaN(r.perArea[3]));
});

test('ward roll-up sums head-counts: a ward holds the people of all its areas', () => {
  // Kenton ward (Brent) showed 171 residents aged 75+, the mean of its areas; they hold 1,122.
  const scores = { code: ['a', 'b', 'c'], ward_code: ['K', 'K', 'K'], population: [1500, 1600, 1700] };
  const counts = [100, 200, null];
  const r = M.wardRollup(scores, counts, 'sum');
  assert.equal(r.wards[0].value, 300);
  assert.equal(r.wards[0].population, 4800);
  assert.deepEqual(Array.from(r.perArea), [300, 300, 300]);
  assert.ok(Number.isNaN(M.wardRollup(scores, [null, null, null], 'sum').wards[0].value), 'no counts: no total');
});

test('URL state round-trips and CSV quotes', () => {
  const s = { layer: 'c_age', scale: 'fixed', weights: { components: { age: 2 }, indicators: { x: 0.5 } }, boroughs: ['E09000001'], norm: 'selection', wards: true, area: 'E01000001', view: [-0.1, 51.5, 10] };
  assert.deepEqual(M.decodeState('#' + M.encodeState(s)), s);
  assert.equal(M.toCsv(['a', 'b'], [['x,y', 'say "hi"'], [1.5, null]]), 'a,b\r\n"x,y","say ""hi"""\r\n1.5,\r\n');
  const rd = M.rankAndDecile([3, NaN, 1, 2]);
  assert.deepEqual(rd.rank, [1, null, 3, 2]);
});
