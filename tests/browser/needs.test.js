// The panel says what is unusual about an area in plain words: its drivers
// against the scope median (web/drivers.js), checked on the hand-worked
// areas of tests/drivers.rs and on a real area of the running server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, ARTIFACTS, launch, openMap, api } from './helpers.js';
import { driverSentence, driversSection } from '../../web/drivers.js';
import { installFakeDocument } from './fakedom.js';

installFakeDocument();
/** The drivers section's text, as the panel shows it. */
const driversText = (d) => driversSection(d).textContent;

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Areas E and D of tests/drivers.rs: aged 75+ 0.20 against a median of 0.06
// (3.33 times), speed 40 against a median of 80 (lower is risk: 50% below).
const E_AGED = { indicator: 'aged_75_plus', label: 'Share aged 75+', contribution: 3.8889, direction: 'higher_is_risk', raw: 0.2, median: 0.06, kind: 'share', compared_with: 'all areas' };
const D_SPEED = { indicator: 'speed', label: 'Median download speed', contribution: 3.3333, direction: 'lower_is_risk', raw: 40, median: 80, kind: 'value', compared_with: 'all areas' };
const D_AGED = { ...E_AGED, contribution: 0.5556, raw: 0.08 };

test('drivers read as plain words, the right way round', () => {
  assert.equal(driverSentence(E_AGED), 'Share aged 75+ is 20.0%, 3.3 times the median of 6.0% for all areas.');
  assert.equal(driverSentence(D_SPEED), 'Median download speed is 40.00, 50% below the median of 80.00 for all areas.');
  assert.equal(driverSentence(D_AGED), 'Share aged 75+ is 8.0%, 33% above the median of 6.0% for all areas.');
  const text = driversText({ index: 5, drivers: [D_SPEED, D_AGED] });
  assert.ok(text.indexOf('download speed') < text.indexOf('aged 75+'), 'largest first');
  assert.match(driversText({ index: 2.2, drivers: [] }), /at or better than the median/);
  assert.match(driversText({ index: null, drivers: [] }), /No index/);
});

test('the panel lists a real area\'s drivers in words, with no bare bracketed numbers', async () => {
  const scores = await api('/api/scores');
  let area;
  for (let k = 0; k < scores.code.length && !area; k += 97) {
    const d = await api('/api/areas/' + scores.code[k]);
    if (d.drivers.length >= 2) area = d;
  }
  assert.ok(area, 'some area has two or more drivers');
  const { page, errors } = await openMap(browser.context, 'area=' + area.code);
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, area.code);
  const items = await page.locator('#panel ol.drivers li').allTextContents();
  assert.deepEqual(items, area.drivers.map(driverSentence));
  for (const r of area.drivers) {
    assert.ok(r.median !== null && r.raw !== null, `${r.indicator} has its value and the median`);
    // The right way round: above the median where higher is risk, below where lower is.
    if (r.direction === 'lower_is_risk') assert.ok(r.raw < r.median, `${r.indicator} below the median`);
    else assert.ok(r.raw > r.median, `${r.indicator} above the median`);
  }
  const section = await page.locator('#panel ol.drivers').textContent();
  assert.doesNotMatch(section, /\(\s*-?[0-9.]+\s*\)/, 'no unexplained bracketed numbers');
  await page.screenshot({ path: `${ARTIFACTS}/needs-drivers.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the panel renders a hand-worked area\'s drivers as the API gives them', async () => {
  const scores = await api('/api/scores');
  const code = scores.code[0];
  const real = await api('/api/areas/' + code);
  const { page, errors } = await openMap(browser.context);
  await page.route('**/api/areas/' + code, (route) => route.fulfill({ json: { ...real, index: 5, drivers: [D_SPEED, D_AGED] } }));
  await page.locator('#search').fill(code);
  await page.locator('#search').press('Enter');
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, code);
  const items = await page.locator('#panel ol.drivers li').allTextContents();
  assert.deepEqual(items, [
    'Median download speed is 40.00, 50% below the median of 80.00 for all areas.',
    'Share aged 75+ is 8.0%, 33% above the median of 6.0% for all areas.',
  ]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the panel lists an area\'s likely needs with the groups behind each, and each need is a map layer', async () => {
  const scores = await api('/api/scores');
  const code = scores.code[Math.floor(scores.code.length / 2)];
  const area = await api('/api/areas/' + code);
  const needs = area.needs.filter((n) => n.groups.length);
  assert.ok(needs.length >= 6, 'the six types of need are estimated');
  for (const n of needs) {
    const counts = n.groups.map((g) => g.count).filter((c) => c !== null);
    // Never the sum of overlapping groups: the largest, within the stated bound.
    assert.equal(n.count, counts.length ? Math.max(...counts) : null, `${n.id} is its largest group`);
    if (n.upper !== null) assert.ok(n.upper >= n.count && n.upper <= area.population + 0.5, `${n.id} bound`);
    for (const g of n.groups) assert.ok(g.reason && g.source, `${n.id}/${g.id} has a cited reason`);
  }
  const { page, errors } = await openMap(browser.context, 'area=' + code);
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, code);
  for (const n of needs) {
    const item = page.locator(`#panel ul.needs > li[data-need="${n.id}"]`);
    const text = await item.textContent();
    assert.ok(text.includes(n.label), `panel names ${n.id}`);
    if (n.count !== null) assert.ok(text.includes(Math.round(n.count).toLocaleString('en-GB')), `panel gives ${n.id}'s head-count`);
    for (const g of n.groups) assert.ok(text.includes(g.label), `panel names ${g.id} behind ${n.id}`);
  }
  const layers = await page.locator('#layer option').evaluateAll((os) => os.map((o) => o.value));
  for (const n of needs) assert.ok(layers.includes(`n_${n.id}_count`), `${n.id} is a map layer`);
  await page.locator('#panel-close').click();
  await page.locator('#layer').selectOption(`n_${needs[0].id}_count`);
  await page.waitForFunction(() => document.querySelectorAll('#legend li').length >= 3);
  await page.screenshot({ path: `${ARTIFACTS}/needs-layer.png` });
  assert.deepEqual(errors, []);
  await page.close();
});
