// The page explains itself (issue #25): numbers formatted from the schema,
// the "About this map" dialog, legends that say what each layer is, and
// missing data shown where it is. Runs against the server at DXMAP_URL and
// against a second `dxmap serve` started here on a three-area fixture in
// which one area lacks an input (binary: DXMAP_BIN, else the release build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BASE, ARTIFACTS, launch, openMap, api } from './helpers.js';
import * as M from '../../web/model.js';

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

/** Page coordinates of a lon/lat on the map. */
async function screenPoint(page, lonLat) {
  return page.evaluate((ll) => {
    const map = window.dxmap.map;
    const r = map.getCanvas().getBoundingClientRect();
    const p = map.project(ll);
    return { x: r.left + p.x, y: r.top + p.y };
  }, lonLat);
}

/** The legend's range labels that read "X to X". */
const degenerate = (texts) => texts.filter((t) => /(^|: )(\S+) to \2$/.test(t.trim()));

// ---------- a fixture where one area has insufficient data ----------

const FIXTURE_CSV = `code,people,older,nogig
E01000001,100,31,11
E01000002,200,50,
E01000003,300,330,40
`;
// "older" counts a wider group than "people" in one area (as IDAOPI's
// numerator can exceed the census base): a rate above 1 is still a rate.
const FIXTURE_PROJECT = `title = "Fixture"
geography = "LSOA 2011 (fixture)"
attribution = ["Test boundaries"]

[boundaries]
file = "tiny.geojson"
code = "LSOA11CD"
name = "LSOA11NM"
borough = { name_prefix = "london" }

[[dataset]]
name = "fixture"
file = "fixture.csv"
code = "code"
vintage = "Fixture survey 2031"
allow_empty = true
column = [
  { id = "people", label = "People", count = "people" },
  { id = "older", label = "Older residents per resident", rate = { numerator = "older", denominator = "people" } },
  { id = "nogig", label = "Premises without gigabit (%)", value = "nogig" },
]
`;
const FIXTURE_METHOD = `name = "Fixture exclusion index"
description = "Two components on a three-area fixture."
scope = "all"
transform = "minmax"
missing = "skip"
min_coverage = 0.75
top_drivers = 2

[index]
combine = "weighted_mean"
rescale = "none"

[[component]]
id = "demography"
label = "Demography"
weight = 1

[[component.indicator]]
id = "older"
label = "Older residents"
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

async function freePort() {
  return new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
}

let fixture = null;
async function startFixture() {
  return startServer({
    'tiny.geojson': fs.readFileSync(path.join(ROOT, 'tests/fixtures/ingest/tiny.geojson')),
    'fixture.csv': FIXTURE_CSV, 'fixture.toml': FIXTURE_PROJECT, 'method.toml': FIXTURE_METHOD,
  }, ['--dataset', 'fixture.toml', '--methodology', 'method.toml']);
}

/** A second `dxmap serve` (of DXMAP_BIN, else the release build) in a new
 * temporary directory holding `files` (name -> contents), with `args`;
 * null when there is no binary. */
async function startServer(files, args) {
  const bin = process.env.DXMAP_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'release/dxmap');
  if (!fs.existsSync(bin)) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dxmap-explain-'));
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  const port = await freePort();
  let log = '';
  const proc = spawn(bin, ['serve', ...args, '--addr', `127.0.0.1:${port}`, '--no-prewarm', '--draws', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (b) => { log += b; });
  proc.stderr.on('data', (b) => { log += b; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 900; i++) {
    if (proc.exitCode !== null) throw new Error(`fixture server exited: ${log}`);
    try { if ((await fetch(base + '/healthz')).ok) return { proc, dir, base }; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`fixture server not up: ${log}`);
}
const servers = [];
after(() => {
  for (const x of [fixture, ...servers]) if (x) { x.proc.kill(); fs.rmSync(x.dir, { recursive: true, force: true }); }
});

async function openFixture(t) {
  fixture ??= await startFixture();
  if (!fixture) { t.skip('no dxmap binary (set DXMAP_BIN or build --release)'); return null; }
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(fixture.base + '/');
  await page.waitForFunction(() => window.dxmap?.ready === true || window.dxmap?.errors?.length > 0, null, { timeout: 60000 });
  return { page, errors };
}

test('an area with insufficient data says so, and why, in the tooltip, the panel and the legend', async (t) => {
  const o = await openFixture(t);
  if (!o) return;
  const { page, errors } = o;
  const area = await api('/api/areas/E01000002', { base: fixture.base });
  assert.equal(area.index_status, 'insufficient_data', 'the fixture has an insufficient area');
  // The legend has the class, with its own colour and its count.
  const legend = await page.locator('#legend li').allTextContents();
  assert.ok(legend.includes('Insufficient data (1 area)'), legend.join(' | '));
  const k = await page.evaluate(() => window.dxmap.map.getFeatureState({ source: 'dx', sourceLayer: 'lsoa', id: 'E01000002' }).k);
  assert.equal(k, 12, 'the area is drawn in the insufficient-data class');
  // Tooltip: the reason, with the missing input's label.
  const p = await screenPoint(page, [-0.135, 51.505]);
  await page.mouse.move(p.x, p.y);
  await page.waitForFunction(() => !document.getElementById('tooltip').hidden);
  const tip = await page.locator('#tooltip').textContent();
  assert.match(tip, /Insufficient data: no value for No gigabit broadband/, tip);
  // Panel: the reason and coverage, not a blank; no run-together text.
  await page.mouse.click(p.x, p.y);
  await page.waitForFunction(() => document.getElementById('panel').dataset.code === 'E01000002' && !document.getElementById('panel').hidden);
  assert.equal(await page.locator('#tooltip').isHidden(), true, 'the tooltip does not stay up under the panel after a click');
  const why = await page.locator('[data-field=insufficiency]').textContent();
  assert.match(why, /Insufficient data: no value for No gigabit broadband/);
  assert.match(why, /50\.0% of the index weight/);
  const panel = await page.locator('#panel-body').innerText();
  assert.doesNotMatch(panel, /no data\d/i, 'no run-together text');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a rate reads as a percentage and a percentage keeps its sign, from the schema', async (t) => {
  const o = await openFixture(t);
  if (!o) return;
  const { page } = o;
  await page.evaluate(() => window.dxmap.openPanel('E01000003'));
  await page.waitForFunction(() => document.getElementById('panel').dataset.code === 'E01000003');
  const row = async (label) => page.locator('#panel-body tr', { hasText: label }).first().locator('td').first().textContent();
  // older / people = 1.1: a rate above 1 is still a rate.
  assert.equal(await row('Older residents'), '110.0%');
  assert.equal(await row('No gigabit broadband'), '40.0%');
  await page.close();
});

// ---------- the default dataset ----------

test('About this map names the index, its method and its data vintages; Escape closes it and focus returns', async () => {
  const { page, errors } = await openMap(browser.context);
  const meta = await api('/api/meta');
  const meth = await api('/api/methodology');
  // The title comes from the methodology and dataset, not the file title alone.
  assert.equal((await page.locator('h1').textContent()).trim(), meth.name);
  assert.ok((await page.title()).includes(meth.name));
  await page.locator('#about-open').focus();
  await page.keyboard.press('Enter');
  const about = page.locator('#about');
  await about.waitFor({ state: 'visible' });
  const text = await about.innerText();
  assert.ok(text.includes(meth.name), 'names the index');
  for (const c of meth.components) assert.ok(text.includes(c.label), `method lists ${c.label}`);
  const vintages = new Set(meta.sources.map((s) => s.vintage).filter(Boolean));
  assert.ok(vintages.size > 0, '/api/meta lists the sources with vintages');
  for (const v of vintages) assert.ok(text.includes(v), `data vintage ${v}`);
  assert.match(text, /Insufficient data/);
  await page.screenshot({ path: `${ARTIFACTS}/about.png` });
  const violations = await axe(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  await page.keyboard.press('Escape');
  await about.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'about-open', 'focus returns to the button');
  assert.deepEqual(errors, []);
  await page.close();
});

test('no legend is degenerate; count layers are not captioned as risk; key groups are one click from their definition', async () => {
  const { page } = await openMap(browser.context);
  const fields = new Map((await api('/api/meta')).fields.map((f) => [f.name, f]));
  const meth = await api('/api/methodology');
  const layers = await page.locator('#layer option').evaluateAll((os) => os.map((o) => o.value));
  for (const scale of ['decile', 'fixed']) {
    await page.locator(`input[name=scale][value=${scale}]`).check();
    for (const layer of layers) {
      await page.locator('#layer').selectOption(layer);
      await page.waitForFunction((l) => window.dxmap.state.layer === l && document.getElementById('legend').dataset.layer === l, layer);
      const items = await page.locator('#legend li').allTextContents();
      assert.deepEqual(degenerate(items), [], `${layer} (${scale}): ${items.join(' | ')}`);
      const caption = await page.locator('#legend').textContent();
      const f = fields.get(layer);
      if (f?.kind === 'count') assert.doesNotMatch(caption, /higher risk/, `${layer}: ${caption}`);
      if (f?.higher) assert.ok(caption.includes(f.higher), `${layer} says what darker means`);
    }
  }
  // The index's fixed scale runs to its highest value, not to 10.
  await page.locator('#layer').selectOption('index');
  const top = Math.max(...(await api('/api/scores')).index.filter(Number.isFinite));
  const last = (await page.locator('#legend ol li:not(.gap)').allTextContents()).at(-1);
  const hi = Number(last.split(' to ').at(-1));
  assert.ok(hi >= top && hi < top * 1.5 + 0.5, `fixed scale ends at ${hi}, highest index ${top}`);
  // A key group's definition is one click from its legend.
  const p = meth.personas?.[0];
  if (p) {
    await page.locator('#layer').selectOption(`k_${p.id}_count`);
    await page.locator('#legend [data-about-group]').click();
    const dt = page.locator(`#about-group-${p.id}`);
    await dt.waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), `about-group-${p.id}`);
    assert.ok((await page.locator('#about').innerText()).includes(p.description));
    await page.keyboard.press('Escape');
  }
  await page.close();
});

test('the panel formats each indicator value from its field: rates as percentages, percentages with %', async () => {
  const { page } = await openMap(browser.context);
  const meta = await api('/api/meta');
  const scores = await api('/api/scores');
  const code = scores.code[Math.floor(scores.code.length / 2)];
  const area = await api('/api/areas/' + code);
  await page.evaluate((c) => window.dxmap.openPanel(c), code);
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, code);
  const fields = new Map(meta.fields.map((f) => [f.name, f]));
  let checked = 0;
  for (const ind of area.indicators) {
    const f = fields.get(ind.raw_field);
    if (!f || ind.raw === null) continue;
    const cell = (await page.locator('#panel-body tr', { hasText: ind.label }).first().locator('td').first().textContent()).trim();
    if (f.kind === 'share' || f.unit === 'percent' || f.unit === 'proportion 0–1') {
      assert.match(cell, /^-?[\d,.]+%$/, `${ind.label} (${f.kind}, ${f.unit}): ${cell}`);
      checked++;
    }
  }
  assert.ok(checked > 0, 'some indicator is a rate or a percentage');
  await page.close();
});

test('the income rate, declared a share in the project file, reads as a percentage in the panel', async () => {
  const { page } = await openMap(browser.context);
  const meta = await api('/api/meta');
  const f = meta.fields.find((x) => x.name === 'income_score');
  assert.ok(f, '/api/meta has the income rate');
  assert.equal(f.kind, 'share', JSON.stringify(f));
  const scores = await api('/api/scores');
  let area;
  for (const code of scores.code.slice(0, 50)) {
    area = await api('/api/areas/' + code);
    if (area.indicators.some((i) => i.raw_field === 'income_score' && i.raw !== null)) break;
  }
  const ind = area.indicators.find((i) => i.raw_field === 'income_score');
  assert.ok(ind && ind.raw !== null, 'an area with an income rate');
  await page.evaluate((c) => window.dxmap.openPanel(c), area.code);
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, area.code);
  // The row headed by exactly this label ("Older people in income
  // deprivation" contains it too).
  const cell = await page.evaluate((label) => [...document.querySelectorAll('#panel-body tr')]
    .find((tr) => tr.querySelector('th')?.textContent.trim() === label)?.querySelector('td')?.textContent.trim(), ind.label);
  assert.match(cell ?? '', /^\d+(\.\d+)?%$/, `${ind.label}: ${cell}`);
  assert.ok(Math.abs(parseFloat(cell) - ind.raw * 100) < 0.06, `${cell} is ${ind.raw} as a percentage`);
  await page.close();
});

// ---------- one scoring: the page's re-weighting agrees with the server ----------

/** The page's re-weighting (web/model.js) at the methodology's own weights
 * on /api/scores-exact against the server's unrounded index: an index
 * exactly where the server gives one, the same value to 1e-9, and the
 * same rank and decile within the same scope groups. */
async function compareScoring(base) {
  const [meth, exact, scores] = await Promise.all(['/api/methodology', '/api/scores-exact', '/api/scores'].map((p) => api(p, { base })));
  const mine = M.reweight(meth, exact, M.defaultWeights(meth));
  const rd = M.rankAndDecile(mine, exact.group);
  let insufficient = 0;
  let worst = 0;
  for (let a = 0; a < exact.code.length; a++) {
    const theirs = exact.index[a];
    if (theirs === null) {
      insufficient += 1;
      assert.ok(Number.isNaN(mine[a]), `${base}: ${exact.code[a]}: the server gives no index, the page gave ${mine[a]}`);
    } else {
      assert.ok(Number.isFinite(mine[a]), `${base}: ${exact.code[a]}: the server gives ${theirs}, the page none`);
      worst = Math.max(worst, Math.abs(mine[a] - theirs));
    }
    assert.equal(rd.rank[a], scores.rank[a], `${base}: ${exact.code[a]}: rank`);
    assert.equal(rd.decile[a], scores.decile[a], `${base}: ${exact.code[a]}: decile`);
  }
  assert.ok(worst < 1e-9, `${base}: largest index difference ${worst}`);
  console.log(`# ${base}: ${exact.code.length} areas, ${insufficient} insufficient data, largest index difference ${worst.toExponential(2)}`);
  return { insufficient };
}

test('the page re-weights as the server scores: no partial score for an insufficient-data area', async (t) => {
  await compareScoring(BASE);
  fixture ??= await startFixture();
  if (!fixture) { t.skip('no dxmap binary (set DXMAP_BIN or build --release)'); return; }
  const { insufficient } = await compareScoring(fixture.base);
  assert.ok(insufficient >= 1, 'the fixture holds an insufficient-data area');
});

test('the exact scores are fetched once, when a weight first moves, not for the first paint', async () => {
  const { page, errors } = await openMap(browser.context);
  const fetched = () => page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/scores-exact')).length);
  assert.equal(await fetched(), 0, 'the first paint does without them');
  await page.locator('#weights-box summary').click();
  const sliders = page.locator('#weights input[type=range]');
  for (const v of ['2', '3']) {
    await sliders.first().fill(v);
    await page.waitForFunction(() => window.dxmap.state.values && performance.getEntriesByType('resource').some((e) => e.name.endsWith('/api/scores-exact')));
  }
  await sliders.nth(1).fill('0.5');
  assert.equal(await fetched(), 1, 'fetched once');
  assert.deepEqual(errors, []);
  await page.close();
});

/** The default methodology and its persona file, with every weight of the
 * methodology changed (1, 2, 3, 4, 1, … in file order), and those weights
 * by id as the page holds them. */
function reweightedMethodology() {
  const dir = path.join(ROOT, 'methodology');
  let k = 0;
  const toml = fs.readFileSync(path.join(dir, 'dxmap-2025-london.toml'), 'utf8').replace(/^weight = .*$/gm, () => `weight = ${(k++ % 4) + 1}`);
  assert.ok(k > 3, 'the default methodology has weights to change');
  const weights = { components: {}, indicators: {} };
  let kind = null;
  let id = null;
  for (const line of toml.split('\n')) {
    if (line.startsWith('[')) kind = line === '[[component]]' ? 'components' : line === '[[component.indicator]]' ? 'indicators' : null;
    id = line.match(/^id = "(.+)"$/)?.[1] ?? id;
    const w = line.match(/^weight = (\d+)$/)?.[1];
    if (w && kind) weights[kind][id] = Number(w);
  }
  const personas = toml.match(/^personas = "(.+)"$/m)?.[1];
  const files = { 'method.toml': toml };
  if (personas) files[personas] = fs.readFileSync(path.join(dir, personas));
  return { files, weights };
}

/** What the page itself computes now: its re-weighted index and ranks in scope (web/state.js). */
const pageScoring = (page) => page.evaluate(async () => {
  const st = await import('/state.js');
  await st.ensureExact();
  const v = st.reweightedIndex();
  const rd = st.rankInScope(v);
  return { values: Array.from(v, (x) => (Number.isFinite(x) ? x : null)), rank: rd.rank, decile: rd.decile, of: rd.of, shown: Array.from(window.dxmap.currentValues(), (x) => (Number.isFinite(x) ? x : null)) };
});

test('at weights other than the methodology\'s, the page scores and ranks as a server run with those weights', async (t) => {
  const { files, weights } = reweightedMethodology();
  const other = await startServer(files, ['--methodology', 'method.toml']);
  if (!other) { t.skip('no dxmap binary (set DXMAP_BIN or build --release)'); return; }
  servers.push(other);
  const [meth, theirMeth, exact, scores] = await Promise.all([
    api('/api/methodology'), api('/api/methodology', { base: other.base }), api('/api/scores-exact', { base: other.base }), api('/api/scores', { base: other.base }),
  ]);
  assert.ok(!M.sameWeights(M.defaultWeights(meth), M.defaultWeights(theirMeth)), 'the second server weighs differently');
  assert.equal(Object.keys(weights.indicators).length, meth.components.flatMap((c) => c.indicators).length, 'every weight read');
  // The default map, with the second server's weights (as its file gives them) in its URL.
  const { page, errors } = await openMap(browser.context, M.encodeState({ weights }));
  const mine = await pageScoring(page);
  let worst = 0;
  for (let a = 0; a < exact.code.length; a++) {
    const theirs = exact.index[a];
    assert.equal(mine.values[a] === null, theirs === null, `${exact.code[a]}: page ${mine.values[a]}, server ${theirs}`);
    if (theirs !== null) worst = Math.max(worst, Math.abs(mine.values[a] - theirs));
    assert.equal(mine.rank[a], scores.rank[a], `${exact.code[a]}: rank`);
    assert.equal(mine.decile[a], scores.decile[a], `${exact.code[a]}: decile`);
  }
  assert.ok(worst < 1e-9, `largest index difference ${worst}`);
  // The map shows these values (re-coloured once the exact scores came in).
  await page.waitForFunction(() => window.dxmap.timings.lastRecolourMs !== undefined);
  assert.deepEqual(mine.shown, mine.values, 'the map shows the re-weighted index');
  // The panel's re-weighted row: the server's rank, of the group's areas.
  const a = scores.rank.findIndex((r) => r !== null);
  await page.evaluate((c) => window.dxmap.openPanel(c), exact.code[a]);
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, exact.code[a]);
  const row = await page.locator('[data-field=reweighted-rank]').textContent();
  assert.ok(row.startsWith(`rank ${scores.rank[a]} of ${mine.of[a].toLocaleString('en-GB')} `), row);
  assert.match(row, new RegExp(`decile ${scores.decile[a]}$`), row);
  console.log(`# re-weighted at another methodology's weights: ${exact.code.length} areas, largest index difference ${worst.toExponential(2)}; panel: ${row}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('under a local-authority scope the page ranks within each authority, as the server does', async (t) => {
  const la = await startServer({}, ['--scope', 'local_authority']);
  if (!la) { t.skip('no dxmap binary (set DXMAP_BIN or build --release)'); return; }
  servers.push(la);
  const [exact, scores] = await Promise.all([api('/api/scores-exact', { base: la.base }), api('/api/scores', { base: la.base })]);
  assert.equal(exact.scope, 'local_authority');
  assert.ok(exact.groups.length > 1, 'more than one authority');
  const { page, errors } = await openMap(browser.context, '', undefined, la.base);
  const mine = await pageScoring(page);
  // The page shows the server's ranks at the methodology's weights; its own
  // grouped ranking (what it uses at other weights) must give the same.
  const own = M.rankAndDecile(Float64Array.from(exact.index, (x) => x ?? NaN), exact.group);
  for (let a = 0; a < exact.code.length; a++) {
    assert.equal(mine.rank[a], scores.rank[a], `${exact.code[a]}: rank`);
    assert.equal(mine.decile[a], scores.decile[a], `${exact.code[a]}: decile`);
    assert.equal(own.rank[a], scores.rank[a], `${exact.code[a]}: the page's own rank`);
    assert.equal(own.decile[a], scores.decile[a], `${exact.code[a]}: the page's own decile`);
  }
  // The panel says "rank r of N" with N the authority's areas, not the map's.
  const a = scores.rank.findIndex((r) => r !== null);
  const n = exact.group.filter((g, b) => g === exact.group[a] && scores.rank[b] !== null).length;
  assert.ok(n < exact.code.length);
  assert.equal(mine.of[a], n);
  await page.evaluate((c) => window.dxmap.openPanel(c), exact.code[a]);
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, exact.code[a]);
  const cell = await page.locator('[data-field=rank]').locator('xpath=..').textContent();
  assert.ok(cell.startsWith(`rank ${scores.rank[a]} of ${n.toLocaleString('en-GB')} (${exact.groups[exact.group[a]]})`), cell);
  // The table's ranks too, where the panel's N comes from the same groups.
  await page.locator('#toggle-table').click();
  await page.waitForFunction(() => document.querySelector('#table tbody tr td:nth-child(6)')?.textContent.trim() !== '–');
  const rows = await page.evaluate(() => [...document.querySelectorAll('#table tbody tr')].slice(0, 50)
    .map((tr) => [tr.dataset.code, Number(tr.children[5].textContent), Number(tr.children[6].textContent)]));
  const at = new Map(exact.code.map((c, b) => [c, b]));
  for (const [code, rank, decile] of rows) {
    assert.equal(rank, scores.rank[at.get(code)], `table: ${code}: rank`);
    assert.equal(decile, scores.decile[at.get(code)], `table: ${code}: decile`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
