// Finding one's way on the map (issue #25, orientation): borough labels at
// the default view, ward labels and outlines at street zooms, the ward set's
// vintage, search over boroughs, wards and areas, and `dxmap serve
// --basemap` with a raster template served by a second local HTTP server.
// Prints what the labels cost (bytes, layout and frame times).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BASE, ARTIFACTS, launch, openMap, api } from './helpers.js';
import { searchEntries, searchMatches } from '../../web/search.js';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function axe(page) {
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** Resolves when the map has stopped moving and drawn. */
const settled = (page) => page.evaluate(() => new Promise((r) => {
  const m = window.dxmap.map;
  const go = () => (m.isMoving() ? m.once('moveend', go) : m.once('idle', r));
  go();
  m.triggerRepaint();
}));

/** Mean frame time over `ms` of continuous panning. */
const panFrameMs = (page, ms) => page.evaluate((ms) => new Promise((resolve) => {
  const m = window.dxmap.map;
  let frames = 0;
  const t0 = performance.now();
  const tick = () => { frames++; if (performance.now() - t0 < ms) requestAnimationFrame(tick); else resolve((performance.now() - t0) / frames); };
  m.panBy([300, 120], { duration: ms, easing: (t) => t });
  requestAnimationFrame(tick);
}), ms);

test('search ranks names that start with the query first, then boroughs, wards, areas', () => {
  const meta = { boroughs: [{ code: 'B1', name: 'Brent', bbox: [0, 0, 1, 1] }] };
  const places = { features: [['W1', 'Wembley Park'], ['W2', 'North Wembley'], ['W3', 'Brentham']].map(([code, name]) => ({ properties: { kind: 'ward', code, name, borough_name: 'Brent', bbox: [0, 0, 1, 1] } })) };
  const scores = { code: ['E01000001', 'E01000002'], name: ['Brent 001A', 'Wembley 002B'], borough_code: ['B1', 'B1'] };
  const e = searchEntries(meta, places, scores);
  const names = (q) => searchMatches(e, q).map((x) => `${x.kind}:${x.name}`);
  assert.deepEqual(names('wembley'), ['ward:Wembley Park', 'area:Wembley 002B', 'ward:North Wembley']);
  assert.deepEqual(names('Brent'), ['borough:Brent', 'ward:Brentham', 'area:Brent 001A']);
  assert.deepEqual(names('e01000002'), ['area:Wembley 002B']);
  assert.deepEqual(names('w'), [], 'one character is too few');
});

test('borough labels at the default view; ward labels, outlines and vintage at street zoom', async () => {
  const { page, errors } = await openMap(browser.context);
  const labels = await api('/api/places/labels');
  const meta = await api('/api/meta');
  const boroughNames = new Set(labels.features.filter((f) => f.properties.kind === 'borough').map((f) => f.properties.name));
  assert.equal(boroughNames.size, meta.boroughs.length, 'one label per borough');
  await page.waitForFunction(() => document.querySelectorAll('.place-label.borough').length > 0);
  const shown = await page.locator('.place-label.borough').allTextContents();
  assert.ok(shown.length >= Math.min(5, boroughNames.size), `only ${shown.length} borough labels at the default view`);
  for (const s of shown) assert.ok(boroughNames.has(s), `${s} is a borough`);
  assert.equal(await page.locator('.place-label.ward').count(), 0, 'no ward labels at the default view');
  // Labels are a visual aid: they never take a click meant for an area.
  assert.equal(await page.locator('.place-labels').evaluate((e) => getComputedStyle(e).pointerEvents), 'none');
  if (meta.ward_vintage) assert.match(await page.locator('#ward-vintage').textContent(), new RegExp(meta.ward_vintage.replace(/[()]/g, '.')));

  // Street zoom: ward labels and outlines appear.
  const ward = labels.features.filter((f) => f.properties.kind === 'ward').sort((a, b) => b.properties.areas - a.properties.areas)[0];
  await page.evaluate((c) => window.dxmap.map.jumpTo({ center: c, zoom: 12.5 }), ward.geometry.coordinates);
  await settled(page);
  await page.waitForFunction(() => document.querySelectorAll('.place-label.ward').length > 0);
  await page.waitForFunction(() => window.dxmap.map.queryRenderedFeatures({ layers: ['wards-line'] }).length > 0);
  const t = await page.evaluate(() => window.dxmap.timings.places);
  const withLabels = await panFrameMs(page, 1000);
  await settled(page);
  await page.evaluate(() => { document.querySelector('.place-labels').style.display = 'none'; });
  const without = await panFrameMs(page, 1000);
  await page.evaluate(() => { document.querySelector('.place-labels').style.display = ''; });
  const bytes = async (p) => { const b = Buffer.from(await (await fetch(BASE + p)).arrayBuffer()); return `${(b.length / 1024).toFixed(0)} KB (${(zlib.gzipSync(b).length / 1024).toFixed(0)} KB gzipped)`; };
  console.log(`place labels: ${t.shown} shown at zoom 12.5, layout ${t.lastLayoutMs.toFixed(2)} ms, per-frame move ${t.lastMoveMs.toFixed(2)} ms; `
    + `mean frame while panning ${withLabels.toFixed(1)} ms with labels, ${without.toFixed(1)} ms without; `
    + `/api/places/labels ${await bytes('/api/places/labels')}`);
  await page.screenshot({ path: `${ARTIFACTS}/orient-wards.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

/** The line layers that draw ward boundaries, and whether each has features drawn now. */
const wardLines = (page) => page.evaluate(() => {
  const map = window.dxmap.map;
  return map.getStyle().layers
    .filter((l) => l.type === 'line' && (l['source-layer'] === 'wards' || /ward/.test(l.source ?? '')))
    .map((l) => ({ id: l.id, drawn: map.queryRenderedFeatures({ layers: [l.id] }).length > 0 }));
});

test('ward boundaries are drawn by one layer, from the tiles in view, in the ward view and out of it', async () => {
  const { page, errors } = await openMap(browser.context);
  const wardRequests = [];
  page.on('request', (r) => { if (r.url().includes('/api/places/wards')) wardRequests.push(r.url()); });
  const labels = await api('/api/places/labels');
  const ward = labels.features.filter((f) => f.properties.kind === 'ward').sort((a, b) => b.properties.areas - a.properties.areas)[0];
  assert.ok(ward, 'the data has wards');
  const at = async (zoom, wardView) => {
    if (await page.locator('#ward-view').isChecked() !== wardView) await page.locator('#ward-view').setChecked(wardView, { force: true });
    await page.evaluate(([c, z]) => window.dxmap.map.jumpTo({ center: c, zoom: z }), [ward.geometry.coordinates, zoom]);
    await settled(page);
    return wardLines(page);
  };
  for (const wardView of [false, true]) {
    const lines = await at(12, wardView);
    assert.equal(lines.length, 1, `one ward line layer (ward view ${wardView}): ${JSON.stringify(lines)}`);
    assert.ok(lines[0].drawn, `ward lines drawn at zoom 12 (ward view ${wardView})`);
  }
  // Below street zoom, outlines only where the map is coloured by ward.
  assert.ok((await at(10.5, true))[0].drawn, 'ward view at zoom 10.5: outlines');
  assert.ok(!(await at(10.5, false))[0].drawn, 'area view at zoom 10.5: no outlines');
  assert.deepEqual(wardRequests, [], 'no request for every ward at once');
  assert.deepEqual(errors, []);
  await page.close();
});

test('search finds boroughs, wards and areas; a ward zooms the map to it', async () => {
  const { page, errors } = await openMap(browser.context);
  const labels = await api('/api/places/labels');
  const wards = labels.features.filter((f) => f.properties.kind === 'ward');
  // "Wembley" finds Brent's Wembley wards, where the data has them (the London default does).
  const wembley = wards.filter((f) => /wembley/i.test(f.properties.name));
  if (wembley.length) {
    await page.locator('#search').fill('Wembley');
    const opts = await page.locator('#search-results [role=option][data-kind=ward]').evaluateAll((os) => os.map((o) => o.dataset.code));
    for (const w of wembley) assert.ok(opts.includes(w.properties.code), `${w.properties.name} (${w.properties.borough_name}) listed`);
  }
  // A ward chosen with the keyboard; the combobox points at the option it is on.
  const ward = [...wards].sort((a, b) => b.properties.areas - a.properties.areas)[0];
  const p = ward.properties;
  const zoomBefore = await page.evaluate(() => window.dxmap.map.getZoom());
  await page.locator('#search').fill(p.name);
  assert.equal(await page.locator('#search').getAttribute('aria-expanded'), 'true');
  const violations = await axe(page);
  assert.deepEqual(violations, [], 'no serious accessibility violation with the search list open');
  let found = false;
  for (let i = 0; i < 12 && !found; i++) {
    await page.locator('#search').press('ArrowDown');
    const id = await page.locator('#search').getAttribute('aria-activedescendant');
    found = (await page.locator(`#${id}`).getAttribute('data-code')) === p.code;
  }
  assert.ok(found, `${p.name} (${p.code}) among the options`);
  await page.locator('#search').press('Enter');
  assert.equal(await page.locator('#search-results').isHidden(), true, 'the list closes');
  await settled(page);
  const b = await page.evaluate(() => window.dxmap.map.getBounds().toArray());
  const eps = 1e-6;
  assert.ok(b[0][0] <= p.bbox[0] + eps && b[0][1] <= p.bbox[1] + eps && b[1][0] >= p.bbox[2] - eps && b[1][1] >= p.bbox[3] - eps,
    `map bounds ${JSON.stringify(b)} contain ward ${p.code} ${JSON.stringify(p.bbox)}`);
  const zoom = await page.evaluate(() => window.dxmap.map.getZoom());
  assert.ok(zoom > zoomBefore + 1.5, `zoomed in to the ward (zoom ${zoomBefore.toFixed(1)} to ${zoom.toFixed(1)})`);
  // A borough by name, an area by code (opens its panel).
  const meta = await api('/api/meta');
  await page.locator('#search').fill(meta.boroughs[0].name);
  assert.equal(await page.locator('#search-results [role=option]').first().getAttribute('data-kind'), 'borough');
  const scores = await api('/api/scores');
  await page.locator('#search').fill(scores.code[7]);
  await page.locator('#search').press('Enter');
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, scores.code[7]);
  assert.deepEqual(errors, []);
  await page.close();
});

/** The dxmap binary run.sh serves (DXMAP_BIN, else the release build), or null. */
function dxmapBin() {
  const bin = process.env.DXMAP_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'release/dxmap');
  return fs.existsSync(bin) ? bin : null;
}

const freePort = () => new Promise((resolve) => { const s = http.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });

// A 1×1 opaque PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

test('--basemap with a raster template: the page loads its tiles with no CSP violation', async (t) => {
  const bin = dxmapBin();
  if (!bin) { t.skip('no dxmap binary (set DXMAP_BIN)'); return; }
  const tileRequests = [];
  const tiles = http.createServer((req, res) => {
    tileRequests.push(req.url);
    res.writeHead(/^\/\d+\/\d+\/\d+\.png$/.test(req.url) ? 200 : 404, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
    res.end(PNG);
  });
  await new Promise((r) => tiles.listen(0, '127.0.0.1', r));
  const tileOrigin = `http://127.0.0.1:${tiles.address().port}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--no-prewarm', '--quiet',
    '--basemap', `${tileOrigin}/{z}/{x}/{y}.png`, '--basemap-attribution', 'Test tiles ©', '--basemap-opacity', '0.6'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (d) => { log += d; });
  try {
    for (let i = 0; i < 600; i++) {
      try { if ((await fetch(base + '/healthz')).ok) break; } catch { /* not up yet */ }
      if (server.exitCode !== null) throw new Error(`dxmap serve exited: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const setting = await api('/api/places/basemap', { base });
    assert.equal(setting.basemap.kind, 'raster');
    const { page, errors, headers } = await openMap(browser.context, '', undefined, base);
    assert.match(headers['content-security-policy'], new RegExp(`img-src 'self' data: blob: ${tileOrigin};`));
    assert.ok(tileRequests.some((u) => /^\/\d+\/\d+\/\d+\.png$/.test(u)), `tile server asked for tiles: ${tileRequests.slice(0, 5)}`);
    assert.equal(await page.evaluate(() => window.dxmap.map.getPaintProperty('lsoa-fill', 'fill-opacity')), 0.6);
    assert.match((await page.locator('#attribution').textContent()), /Basemap: Test tiles ©/);
    await page.screenshot({ path: `${ARTIFACTS}/orient-basemap.png` });
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    server.kill('SIGTERM');
    tiles.close();
  }
});
