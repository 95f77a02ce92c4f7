// Names and labels are data, and an analyst's project can put markup in
// them: a second `dxmap serve` (binary: DXMAP_BIN, else the release build)
// on a three-area fixture whose area, ward and borough names, column and
// indicator labels, methodology text, attribution and basemap attribution
// hold `<img onerror>`, `<script>` and `&amp;`. The panel, the table, the
// search results, the legend, the tooltip, About and the controls must show
// them literally, no element may be injected, and, under Trusted Types, the
// page may pass no string to innerHTML or any other HTML sink. DXMAP_WEB=DIR
// serves the page from DIR (`dxmap serve --web`) instead of the binary's own
// copy, to try a page edit without a rebuild.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS, launch, openMap, api } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Every injected element would carry an id starting "inj", and a handler
// that ran would set window.__pwned.
const AREA = '<img id="inj-area" src=x onerror="window.__pwned=1">Camden &amp; 001A';
const BOROUGH = '<b id="inj-borough">Borough</b> & co';
const WARD = '<script id="inj-ward">window.__pwned=2</script>Ward &lt;1&gt;';
const INDICATOR = '<i id="inj-ind">Older</i> residents & more';
const COMPONENT = '<u id="inj-comp">Demography</u> &amp; age';
const COLUMN = '<em id="inj-col">Older</em> per resident';
const METHOD = '<h1 id="inj-meth">Index</h1> & co';
const ATTRIBUTION = '<a id="inj-attr" href="javascript:window.__pwned=3">Boundaries</a> &copy;';
const BASEMAP = '<img id="inj-basemap" src=x onerror="window.__pwned=4">Tiles &amp; co';
const toml = (s) => JSON.stringify(s); // a JSON string is a TOML basic string

function geojson() {
  const square = (x) => [[[x, 51.5], [x + 0.01, 51.5], [x + 0.01, 51.51], [x, 51.51], [x, 51.5]]];
  const areas = [['E01000001', AREA, 'E09000007', BOROUGH], ['E01000002', 'Plain 001B', 'E09000007', BOROUGH], ['E01000003', 'Other 001C', 'E09000012', 'Hackney']];
  return JSON.stringify({ type: 'FeatureCollection', features: areas.map(([code, name, bcd, bnm], k) => ({
    type: 'Feature', properties: { CODE: code, NAME: name, BCD: bcd, BNM: bnm }, geometry: { type: 'Polygon', coordinates: square(-0.15 + 0.01 * k) } })) });
}

const DATA_CSV = 'code,people,older,nogig\nE01000001,100,31,11\nE01000002,200,50,20\nE01000003,300,90,40\n';
const WARDS_CSV = `area,wd,wdname\nE01000001,E05000001,${WARD}\nE01000002,E05000001,${WARD}\nE01000003,E05000002,Plain ward\n`;
const PROJECT = `title = ${toml(METHOD)}
geography = "LSOA 2011 (escape fixture)"
attribution = [${toml(ATTRIBUTION)}]

[boundaries]
file = "areas.geojson"
code = "CODE"
name = "NAME"
borough = { code_field = "BCD", name_field = "BNM" }

[wards]
file = "wards.csv"
code = "area"
unit_code = "wd"
unit_name = "wdname"
vintage = ${toml(WARD)}

[[dataset]]
name = ${toml(COLUMN)}
file = "data.csv"
code = "code"
vintage = ${toml(BOROUGH)}
column = [
  { id = "people", label = "People", count = "people" },
  { id = "older", label = ${toml(COLUMN)}, rate = { numerator = "older", denominator = "people" } },
  { id = "nogig", label = "Premises without gigabit (%)", value = "nogig" },
]
`;
const METHODOLOGY = `name = ${toml(METHOD)}
description = ${toml(METHOD)}
scope = "all"
transform = "minmax"
missing = "skip"

[index]
combine = "weighted_mean"
rescale = "none"

[[component]]
id = "demography"
label = ${toml(COMPONENT)}
weight = 1

[[component.indicator]]
id = "older"
label = ${toml(INDICATOR)}
weight = 1

[[component]]
id = "broadband"
label = "Broadband"
weight = 1

[[component.indicator]]
id = "nogig"
label = "No gigabit broadband"
weight = 1
`;

// The basemap: a host that never resolves, its every tile a 1×1 opaque PNG
// answered by the browser context.
const BASEMAP_HOST = 'http://basemap.test';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const freePort = () => new Promise((resolve) => { const s = http.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });

let browser;
let fixture = null;

async function startFixture() {
  const bin = process.env.DXMAP_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'release/dxmap');
  if (!fs.existsSync(bin)) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dxmap-escape-'));
  fs.writeFileSync(path.join(dir, 'areas.geojson'), geojson());
  fs.writeFileSync(path.join(dir, 'data.csv'), DATA_CSV);
  fs.writeFileSync(path.join(dir, 'wards.csv'), WARDS_CSV);
  fs.writeFileSync(path.join(dir, 'fixture.toml'), PROJECT);
  fs.writeFileSync(path.join(dir, 'method.toml'), METHODOLOGY);
  const port = await freePort();
  const web = process.env.DXMAP_WEB ? ['--web', path.resolve(process.env.DXMAP_WEB)] : [];
  const proc = spawn(bin, ['serve', '--dataset', 'fixture.toml', '--methodology', 'method.toml', '--addr', `127.0.0.1:${port}`,
    '--no-prewarm', '--draws', '0', '--quiet', '--basemap', `${BASEMAP_HOST}/{z}/{x}/{y}.png`, '--basemap-attribution', BASEMAP, ...web],
  { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (b) => { log += b; });
  proc.stderr.on('data', (b) => { log += b; });
  const base = `http://127.0.0.1:${port}`;
  fixture = { proc, dir, base };
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`fixture server exited: ${log}`);
    try { if ((await fetch(base + '/healthz')).ok) return fixture; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fixture server not up: ${log}`);
}

// Trusted Types make every HTML sink (innerHTML, outerHTML,
// insertAdjacentHTML, document.write, DOMParser …) call the default policy
// below, which lets the value through and records the sink: the page itself
// should pass no string to any of them. Scripts and worker URLs pass
// unrecorded (MapLibre starts its worker from a URL).
const TRUSTED_TYPES = "require-trusted-types-for 'script'";
function recordHtmlSinks() {
  window.__htmlSinks = [];
  window.trustedTypes.createPolicy('default', {
    createHTML: (s, _type, sink) => { window.__htmlSinks.push(sink); return s; },
    createScript: (s) => s,
    createScriptURL: (s) => s,
  });
}
// MapLibre's attribution control parses its customAttribution (escaped by
// the page) with DOMParser to sanitise it: the one HTML sink expected.
const MAPLIBRE_SANITISER = 'DOMParser parseFromString';

before(async () => {
  browser = await launch();
  await browser.context.addInitScript(recordHtmlSinks);
  await browser.context.route(`${BASEMAP_HOST}/**`, (route) => route.fulfill({ contentType: 'image/png', headers: { 'access-control-allow-origin': '*' }, body: PNG }));
  await browser.context.route((url) => url.pathname === '/', async (route) => {
    const r = await route.fetch();
    const headers = r.headers();
    headers['content-security-policy'] = `${headers['content-security-policy']}; ${TRUSTED_TYPES}`;
    await route.fulfill({ response: r, headers });
  });
});
after(async () => {
  await browser?.close();
  if (fixture) { fixture.proc.kill(); fs.rmSync(fixture.dir, { recursive: true, force: true }); }
});

/** The elements an injection would have made, whether a handler ran, and the HTML sinks the page used. */
const injected = (page) => page.evaluate((allowed) => ({
  elements: [...document.querySelectorAll('[id^=inj]')].map((e) => e.outerHTML),
  pwned: window.__pwned ?? null,
  htmlSinks: window.__htmlSinks.filter((s) => s !== allowed),
}), MAPLIBRE_SANITISER);

test('markup in names, labels and attributions is shown as text and injects nothing', async (t) => {
  if (!(await startFixture())) { t.skip('no dxmap binary (set DXMAP_BIN or build --release)'); return; }
  const { base } = fixture;
  const area = await api('/api/areas/E01000001', { base });
  assert.equal(area.name, AREA, 'the server keeps the name as written');
  assert.equal(area.ward_name, WARD);
  assert.equal(area.borough_name, BOROUGH);
  const { page, errors, headers } = await openMap(browser.context, '', undefined, base);
  assert.equal(await page.evaluate(() => window.dxmap.ready), true, `the map is ready: ${errors.join('; ')}`);
  const text = (sel) => page.locator(sel).textContent();
  const has = async (sel, ...wanted) => { const s = await text(sel); for (const w of wanted) assert.ok(s.includes(w), `${sel} shows ${w} literally: ${s}`); };

  // Controls: the borough list and the weight sliders; the page's attribution and the basemap's.
  await has('#borough-list', BOROUGH);
  await has('#weights', COMPONENT, INDICATOR);
  await has('#attribution', ATTRIBUTION, `Basemap: ${BASEMAP}`);
  await has('.maplibregl-ctrl-attrib', BASEMAP);

  // The legend of the indicator whose label holds markup.
  await page.locator('#layer').selectOption('i_older');
  await page.waitForFunction(() => document.getElementById('legend').dataset.layer === 'i_older');
  await has('#legend', INDICATOR);

  // The tooltip over the area with the markup name.
  const p = await page.evaluate(() => {
    const map = window.dxmap.map;
    const r = map.getCanvas().getBoundingClientRect();
    const q = map.project([-0.145, 51.505]);
    return { x: r.left + q.x, y: r.top + q.y };
  });
  await page.mouse.move(p.x, p.y);
  await page.waitForFunction(() => !document.getElementById('tooltip').hidden);
  await has('#tooltip', AREA, BOROUGH, INDICATOR);
  await page.mouse.move(1, 1);

  // The panel: name, ward, borough, component and indicator labels, sources.
  await page.evaluate(() => window.dxmap.openPanel('E01000001'));
  await page.waitForFunction(() => document.getElementById('panel').dataset.code === 'E01000001');
  assert.equal(await text('#panel-title'), AREA);
  await has('#panel-body', WARD, BOROUGH, COMPONENT, INDICATOR, COLUMN);
  await page.locator('#panel-close').click();

  // The search results, for the area and for the borough.
  await page.locator('#search').fill('Camden');
  await page.waitForFunction(() => document.querySelectorAll('#search-results [role=option]').length > 0);
  await has('#search-results', `${AREA} (E01000001)`, BOROUGH);
  await page.locator('#search').fill('Borough');
  await page.waitForFunction(() => document.querySelector('#search-results [data-kind=borough]'));
  await has('#search-results [data-kind=borough]', BOROUGH);
  await page.locator('#search').fill('');

  // The table: area, borough and ward columns; then the ward view.
  await page.locator('#toggle-table').click();
  await page.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 3);
  await has('#table tbody tr[data-code=E01000001]', AREA, BOROUGH, WARD);
  await page.locator('#ward-view').check();
  await page.waitForFunction((w) => document.querySelector('#table tbody')?.textContent.includes(w), WARD);

  // About: the methodology's name and text, labels, vintages and attribution.
  await page.locator('#about-open').click();
  await page.locator('#about').waitFor({ state: 'visible' });
  await has('#about', METHOD, COMPONENT, INDICATOR, COLUMN, WARD, BOROUGH, ATTRIBUTION);
  await page.screenshot({ path: `${ARTIFACTS}/escape-about.png` });
  await page.keyboard.press('Escape');

  assert.deepEqual(await injected(page), { elements: [], pwned: null, htmlSinks: [] });
  assert.match(headers['content-security-policy'], /require-trusted-types-for/, 'the page ran under Trusted Types');
  assert.deepEqual(errors, []);
  await page.close();
});
