// The page's downloads come from the server (POST /api/download): select two
// boroughs, re-weight, click each download, and read the saved file. Every
// selected area has its full geometry, the metadata says which weights,
// methodology, sources and date it holds, and the console stays clean.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BASE, launch, openMap, unzip, api } from './helpers.js';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a selection downloads with full geometry, key groups and metadata', async () => {
  const { page, errors } = await openMap(browser.context);
  const meta = await api('/api/meta');
  const meth = await api('/api/methodology');
  const boroughs = meta.boroughs.slice(0, 2);
  const codes = new Set();
  for (const b of boroughs) for (const a of (await api('/api/areas?borough=' + encodeURIComponent(b.code))).areas) codes.add(a.code);
  await page.locator('#selection-box summary').click();
  for (const b of boroughs) await page.locator(`#b-${b.code}`).check();
  await page.waitForFunction((n) => document.getElementById('selection-summary').textContent.startsWith(n + ' areas'), codes.size);
  // The user's weights: the first component counts three times as much.
  const comp = meth.components[0].id;
  await page.evaluate((id) => { window.dxmap.state.weights.components[id] *= 3; }, comp);

  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#dl-geojson').click()]);
  assert.match(dl.suggestedFilename(), /-selection-\d{4}-\d{2}-\d{2}\.geojson$/);
  const fc = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  const got = new Map(fc.features.map((f) => [f.properties.code, f]));
  assert.deepEqual([...got.keys()].sort(), [...codes].sort(), 'one feature per selected area');
  const noGeometry = fc.features.filter((f) => f.geometry?.type !== 'MultiPolygon' || !f.geometry.coordinates.length);
  assert.deepEqual(noGeometry.map((f) => f.properties.code), [], 'every selected area has a geometry');
  const props = Object.keys(fc.features[0].properties);
  assert.ok(props.some((k) => /^k_.+_count$/.test(k)), `key-group counts: ${props}`);
  assert.ok(props.includes('rank_within') && props.includes('decile_within'), 'ranks within the selection');
  const m = fc.metadata;
  assert.equal(m.methodology.name, meth.name);
  assert.ok(m.sources.length > 0 && m.attribution.length > 0, 'sources and attribution');
  assert.equal(m.selection.areas, codes.size);
  assert.ok(m.download.weights.requested[comp] > 0, 'the user weights are recorded');
  assert.match(m.download.generated, /^\d{4}-\d{2}-\d{2}$/);
  // Full geometry: the dataset's, as the server's whole-dataset download has it.
  const whole = await (await fetch(BASE + '/api/download?format=geojson')).json();
  const first = whole.features.find((f) => got.has(f.properties.code));
  assert.deepEqual(got.get(first.properties.code).geometry, first.geometry);

  const [zip] = await Promise.all([page.waitForEvent('download'), page.locator('#dl-csv').click()]);
  assert.match(zip.suggestedFilename(), /-csv\.zip$/);
  const files = unzip(fs.readFileSync(await zip.path()));
  const lines = files['data.csv'].toString('utf8').trim().split('\n');
  assert.equal(lines.length, codes.size + 1, 'one row per selected area');
  const metadata = JSON.parse(files['metadata.json'].toString('utf8'));
  assert.equal(metadata.download.format, 'csv');
  assert.ok(files['README.txt'].toString('utf8').includes(meth.name));
  assert.deepEqual(errors, []);
  await page.close();
});
