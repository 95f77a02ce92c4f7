// Node-only checks of web/format.js and web/legend.js: values are formatted
// from their field's kind and unit (as /api/meta gives them), and legends
// never collapse to "0% to 0%".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../../web/format.js';
import * as L from '../../web/legend.js';
import * as M from '../../web/model.js';
import { installFakeDocument, fakeDocument, html } from './fakedom.js';

installFakeDocument();

const share = { name: 'idaopi_rate', kind: 'share', unit: 'proportion 0–1', decimals: 9 };
const percent = { name: 'no_gigabit_pct', kind: 'value', unit: 'percent', decimals: 9 };
const count = { name: 'k_x_count', kind: 'count', unit: 'people', decimals: 0, higher: 'more residents in the group' };
const score = { name: 'index', kind: 'score', unit: 'score 0–10', decimals: 4, higher: 'higher risk' };

test('a rate reads as a percentage and a percentage keeps its % sign', () => {
  assert.equal(F.formatValue(share, 0.3123), '31.2%');
  assert.equal(F.formatValue(percent, 11), '11.0%');
  // The name says nothing: a field named like a share but holding a count is a count.
  assert.equal(F.formatValue({ name: 'x_share', kind: 'count', unit: 'people', decimals: 0 }, 1234.4), '1,234');
  assert.equal(F.formatValue(score, 3.456), '3.46');
  assert.equal(F.formatValue({ kind: 'value', unit: '', decimals: 9 }, 12.3456), '12.35');
  assert.equal(F.formatValue({ kind: 'flag' }, true), 'Yes');
});

test('missing values are a dash, never NaN or "undefined"', () => {
  for (const v of [null, undefined, NaN, Infinity, '']) assert.equal(F.formatValue(share, v), F.DASH);
  assert.equal(F.fmt(null), F.DASH);
  assert.equal(F.pct(undefined), F.DASH);
  assert.equal(F.formatValue(score, -0.0001), '0.00');
});

test('an insufficient area says why, with indicator labels', () => {
  const labels = new Map([['a', 'Older people'], ['b', 'Broadband']]);
  assert.equal(F.missingText('insufficient_data', 'a;b', (id) => labels.get(id)), 'Insufficient data: no value for Older people and Broadband');
  assert.equal(F.missingText('ok', null), '');
});

test('legends of all-equal values and of flags are not degenerate', () => {
  const zeros = new Float64Array(50).fill(0);
  const c = L.legendClasses(share, M.decileBreaks(zeros), zeros);
  assert.deepEqual(c.map((x) => x.label), ['All areas: 0.0%']);
  for (const scale of [null, [0, 1]]) {
    const breaks = scale ? M.fixedBreaks(0, 1) : M.decileBreaks(zeros);
    for (const x of L.legendClasses(share, breaks, zeros, scale)) assert.doesNotMatch(x.label, /^(.*) to \1$/, x.label);
  }
  const flags = Float64Array.from({ length: 20 }, (_, i) => (i % 3 ? 0 : 1));
  assert.deepEqual(L.legendClasses({ kind: 'flag' }, M.decileBreaks(flags), flags).map((x) => x.label), ['No', 'Yes']);
});

test('a mostly-zero probability gets distinct, readable ranges', () => {
  const p = Float64Array.from({ length: 100 }, (_, i) => (i < 85 ? 0 : i < 95 ? 0.004 : 0.9));
  const c = L.legendClasses(share, M.decileBreaks(p), p);
  assert.ok(c.length >= 2);
  for (const x of c) assert.doesNotMatch(x.label, /^(.*) to \1$/, x.label);
  assert.ok(c.some((x) => x.label.includes('0.4%')), JSON.stringify(c));
});

test('the fixed scale of a score runs to a round number above its highest value, not 10', () => {
  assert.deepEqual(L.fixedDomain(score, [0.2, 3.4, 5.2]), [0, 5.5]);
  assert.deepEqual(L.fixedDomain(share, [0.1]), [0, 1]);
  assert.deepEqual(L.fixedDomain(percent, [3, 40]), [0, 100]);
  assert.deepEqual(L.fixedDomain(count, [0, 0]), [0, 1]);
  assert.equal(F.niceCeil(1122), 1500);
});

test('the legend says what darker means, from the field', () => {
  assert.equal(L.darkerText(count), 'Darker = more residents in the group.');
  assert.equal(L.darkerText(score), 'Darker = higher risk.');
});

test('the legend lists a gap class only when areas fall in it', () => {
  const values = [0.1, 0.2, 0.3, NaN];
  const draw = (counts) => {
    const el = fakeDocument.createElement('div');
    L.renderLegend(el, { field: share, title: 'T', breaks: M.decileBreaks(values), values, counts });
    return html(el);
  };
  const none = draw({ insufficient: 0, missing: 0, outside: 0 });
  assert.doesNotMatch(none, /Insufficient data|No data|0 areas/, none);
  const some = draw({ insufficient: 2, missing: 1, outside: 0 });
  assert.match(some, /Insufficient data \(2 areas\)/);
  assert.match(some, /No data \(1 area\)/);
  // Not counted: the "No data" colour is still explained, without a number.
  const unknown = draw({ insufficient: null });
  assert.match(unknown, /No data<\/li>/);
  assert.doesNotMatch(unknown, /Insufficient data/);
});
