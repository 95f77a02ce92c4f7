// Real-browser checks of the dxmap web map against a running `dxmap serve`
// (DXMAP_URL). Prints first-paint and re-weighting timings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { BASE, ARTIFACTS, launch, openMap, paintedPixels, pixelsAt, blend, dist, unzip, api } from './helpers.js';
import * as M from '../../web/model.js';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function axe(page) {
  // Evaluated, not added as an inline <script>: the page's CSP refuses inline scripts.
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** A point on the map canvas (page coordinates) inside a rendered area, with its code. */
async function areaPoint(page, pick = 'largest') {
  return page.evaluate((pick) => {
    const map = window.dxmap.map;
    const rect = map.getCanvas().getBoundingClientRect();
    const hits = new Map();
    for (let gx = 1; gx < 30; gx++) for (let gy = 1; gy < 20; gy++) {
      const x = (rect.width * gx) / 30; const y = (rect.height * gy) / 20;
      const f = map.queryRenderedFeatures([x, y], { layers: ['lsoa-fill'] })[0];
      if (!f) continue;
      const code = f.properties.code;
      // Prefer points well inside the area: all four neighbours 6px away hit it too.
      const inside = [[4, 0], [-4, 0], [0, 4], [0, -4]].every(([dx, dy]) => map.queryRenderedFeatures([x + dx, y + dy], { layers: ['lsoa-fill'] })[0]?.properties.code === code);
      if (inside && !hits.has(code)) hits.set(code, { code, x: rect.left + x, y: rect.top + y, cx: x, cy: y });
    }
    return [...hits.values()];
  }, pick);
}

test('page loads without console errors and paints the choropleth', async () => {
  const { page, errors, headers } = await openMap(browser.context);
  // The page runs under its Content-Security-Policy: a violation is in `errors`.
  assert.match(headers['content-security-policy'] ?? '', /default-src 'self'/);
  const t = await page.evaluate(() => window.dxmap.timings);
  console.log(`first meaningful paint (map idle, tiles rendered): ${t.firstIdleMs.toFixed(0)} ms after navigation start (API data ${t.dataMs.toFixed(0)} ms, map created ${t.mapCreatedMs?.toFixed(0)} ms, style loaded ${t.styleLoadedMs?.toFixed(0)} ms, tiles loaded ${t.tilesLoadedMs?.toFixed(0)} ms)`);
  assert.deepEqual(errors, []);
  assert.deepEqual(await page.evaluate(() => window.dxmap.errors), []);
  const px = await paintedPixels(page);
  console.log(`painted pixels: ${px.painted} of ${px.total}, ${px.colours} distinct colours`);
  assert.ok(px.painted > px.total * 0.15, `only ${px.painted} of ${px.total} canvas pixels painted`);
  assert.ok(px.colours >= 8, `only ${px.colours} colours on the map`);
  // Ten classes, then a gap class only for a gap that holds areas: no
  // "Insufficient data (0 areas)".
  const sc = await api('/api/scores');
  const insufficient = sc.index_status.filter((x) => x === 'insufficient_data').length;
  const noData = sc.index.filter((v, i) => v === null && sc.index_status[i] !== 'insufficient_data').length;
  const gaps = [insufficient, noData];
  const legend = await page.locator('#legend li').allTextContents();
  assert.equal(legend.length, 10 + gaps.filter((k) => k > 0).length, legend.join(' | '));
  assert.ok(!legend.some((t) => /\(0 areas\)/.test(t)), legend.join(' | '));
  const meta = await api('/api/meta');
  const attribution = await page.locator('#attribution li').allTextContents();
  assert.deepEqual(attribution, meta.attribution);
  assert.equal(await page.locator('#demo-banner').isVisible(), meta.demonstration);
  await page.screenshot({ path: `${ARTIFACTS}/default.png` });
  const violations = await axe(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  await page.close();
});

test('hover highlights and click opens the panel of the same area', async () => {
  const { page, errors } = await openMap(browser.context);
  const pts = await areaPoint(page);
  assert.ok(pts.length > 10, `areas found on the canvas: ${pts.length}`);
  const p = pts[Math.floor(pts.length / 2)];
  await page.mouse.move(p.x, p.y);
  await page.waitForFunction((c) => window.dxmap.state.hover === c, p.code);
  const hoverState = await page.evaluate((c) => window.dxmap.map.getFeatureState({ source: 'dx', sourceLayer: 'lsoa', id: c }), p.code);
  assert.equal(hoverState.hover, true);
  const tip = await page.locator('#tooltip').textContent();
  const area = await api('/api/areas/' + encodeURIComponent(p.code));
  assert.ok(tip.includes(area.name), `tooltip "${tip}" names ${area.name}`);
  await page.mouse.click(p.x, p.y);
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c && !document.getElementById('panel').hidden, p.code);
  const title = await page.locator('#panel-title').textContent();
  assert.equal(title, area.name);
  const body = await page.locator('#panel-body').textContent();
  for (const s of [area.code, area.borough_name, String(area.rank), area.index.toFixed(2)]) assert.ok(body.includes(s), `panel shows ${s}`);
  if (area.ward_name) assert.ok(body.includes(area.ward_name));
  for (const i of area.indicators) assert.ok(body.includes(i.label), `panel lists indicator ${i.label}`);
  for (const c of area.components) assert.ok(body.includes(c.score.toFixed(2)), `panel shows component ${c.id} = ${c.score}`);
  assert.equal(await page.locator('#panel [data-field=decile]').textContent(), String(area.decile));
  assert.match(await page.evaluate(() => location.hash), new RegExp('area=' + p.code));
  await page.mouse.move(5, 5);
  await page.screenshot({ path: `${ARTIFACTS}/panel.png` });
  const violations = await axe(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#panel').isHidden(), true, 'Escape closes the panel');
  assert.deepEqual(errors, []);
  await page.close();
});

test('moving a weight slider recolours a known area within a frame', async () => {
  const { page, errors } = await openMap(browser.context);
  const pts = await areaPoint(page);
  const meth = await api('/api/methodology');
  // Weight everything on the first component: find the visible area whose class moves most.
  const target = meth.components[0].id;
  const choice = await page.evaluate(async ({ pts, target }) => {
    const M = await import('/model.js');
    const S = window.dxmap.state;
    const w = structuredClone(S.weights);
    for (const k of Object.keys(w.components)) if (k !== target) w.components[k] = 0;
    const scores = await (await fetch('/api/scores')).json();
    const meth = await (await fetch('/api/methodology')).json();
    const after = M.reweight(meth, scores, w);
    const ab = M.decileBreaks(after);
    const idx = new Map(scores.code.map((c, a) => [c, a]));
    let best = null;
    for (const p of pts) {
      const a = idx.get(p.code);
      const c0 = M.classOf(S.values[a], S.breaks); const c1 = M.classOf(after[a], ab);
      if (!best || Math.abs(c1 - c0) > best.delta) best = { ...p, c0, c1, delta: Math.abs(c1 - c0), before: M.PALETTE[c0], after: M.PALETTE[c1] };
    }
    return best;
  }, { pts, target });
  assert.ok(choice && choice.delta >= 2, 'some visible area changes class by two or more');
  const [before] = await pixelsAt(page, [[choice.x, choice.y]]);
  assert.ok(dist(before, blend(choice.before, '#f4f4f1', 0.92)) < 12, `before: pixel ${before} vs ${choice.before}`);
  await page.locator('#weights-box summary').click();
  // Move every other component's slider to 0 through the UI (input events as a drag sends).
  const timings = [];
  for (const c of meth.components) {
    if (c.id === target) continue;
    const slider = page.locator(`#w-c-${c.id}`);
    await slider.focus();
    await slider.fill('0');
    timings.push(await page.evaluate(() => window.dxmap.timings.lastRecolourMs));
  }
  await page.evaluate(() => new Promise((r) => { window.dxmap.map.once('idle', r); window.dxmap.map.triggerRepaint(); }));
  const frame = await page.evaluate(() => window.dxmap.timings.lastRecolourFrameMs);
  const [afterPx] = await pixelsAt(page, [[choice.x, choice.y]]);
  assert.ok(dist(afterPx, blend(choice.after, '#f4f4f1', 0.92)) < 12, `after: pixel ${afterPx} vs ${choice.after} (${choice.code}, class ${choice.c0} -> ${choice.c1})`);
  assert.ok(dist(afterPx, before) > 30, 'the area changed colour');
  assert.deepEqual(await page.evaluate(() => window.dxmap.errors), [], 'no style errors from the paint expression');
  const max = Math.max(...timings);
  console.log(`re-weighting recolour (JS: values, decile breaks, class feature-state per area) max ${max.toFixed(1)} ms over ${timings.length} slider moves; to next rendered frame ${frame.toFixed(1)} ms`);
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /w=/, 'weights are in the URL');
  // The shared URL restores the same weights.
  const { page: p2 } = await openMap(browser.context, hash.slice(1));
  const restored = await p2.evaluate((t) => window.dxmap.state.weights.components, target);
  for (const c of meth.components) assert.equal(restored[c.id], c.id === target ? c.weight : 0);
  assert.deepEqual(errors, []);
  await p2.close();
  await page.close();
});

test('indicator and key-group layers are coloured at overview zoom, where tiles omit them', async () => {
  const { page, errors } = await openMap(browser.context);
  assert.ok(await page.evaluate(() => window.dxmap.map.getZoom()) < 11, 'the map opens at an overview zoom');
  const pts = await areaPoint(page);
  const [meth, scores, kg] = await Promise.all([api('/api/methodology'), api('/api/scores'), api('/api/key-groups')]);
  assert.deepEqual(kg.code, scores.code, 'key groups are aligned with /api/scores');
  const idx = new Map(scores.code.map((c, a) => [c, a]));
  const ind = meth.components[0].indicators[0].id;
  const grp = Object.keys(kg.groups)[0];
  for (const [layer, column] of [['i_' + ind, scores['i_' + ind]], [`k_${grp}_share`, kg.groups[grp].share]]) {
    await page.locator('#layer').selectOption(layer);
    await page.evaluate(() => new Promise((r) => { window.dxmap.map.once('idle', r); window.dxmap.map.triggerRepaint(); }));
    const breaks = await page.evaluate(() => window.dxmap.state.breaks);
    const want = pts.map((p) => { const v = column[idx.get(p.code)]; return v === null ? M.OUTSIDE : M.PALETTE[M.classOf(v, breaks)]; });
    assert.ok(new Set(want).size >= 5, `${layer}: the sampled areas span ${new Set(want).size} classes`);
    const px = await pixelsAt(page, pts.map((p) => [p.x, p.y]));
    const bad = pts.filter((p, i) => dist(px[i], blend(want[i], '#f4f4f1', 0.92)) >= 12).map((p) => p.code);
    assert.ok(bad.length <= pts.length * 0.05, `${layer}: ${bad.length} of ${pts.length} areas have the wrong colour: ${bad.slice(0, 5)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('borough selection, table view, sorting and filters', async () => {
  const { page, errors } = await openMap(browser.context);
  const meta = await api('/api/meta');
  const b = meta.boroughs[5];
  const list = await api('/api/areas?borough=' + encodeURIComponent(b.code));
  await page.locator('#selection-box summary').click();
  await page.locator(`#b-${b.code}`).check();
  await page.waitForFunction((n) => document.getElementById('selection-summary').textContent.startsWith(n + ' areas'), list.count);
  // Normalise within the selection: the server re-scores, the map recolours from feature-state.
  await page.locator('input[name=norm][value=selection]').check();
  await page.waitForFunction((n) => window.dxmap.state.selResult?.size === n, list.count);
  const outside = await page.evaluate(() => window.dxmap.state.values.filter(Number.isFinite).length);
  assert.equal(outside, list.count, 'only the selection has values');
  // CSV download of the selection.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#dl-csv').click()]);
  // The CSV comes from the server in a zip with its metadata (see download.test.js).
  const csv = unzip(fs.readFileSync(await dl.path()))['data.csv'].toString('utf8').trim().split('\n');
  assert.equal(csv.length, list.count + 1);
  assert.ok(csv[0].startsWith('code,name,borough_code'));
  await page.locator('input[name=norm][value=all]').check();
  // Table view filtered by borough.
  await page.locator('#toggle-table').click();
  await page.locator('#table-borough').selectOption(b.code);
  const rows = page.locator('#table tbody tr');
  assert.equal(await rows.count(), list.count);
  const boroughs = new Set(await page.locator('#table tbody td:nth-child(3)').allTextContents());
  assert.deepEqual([...boroughs], [b.name]);
  // Default sort: index descending; clicking the header flips it.
  const vals = async () => (await page.locator('#table tbody td:nth-child(5)').allTextContents()).map(Number).filter(Number.isFinite);
  const desc = await vals();
  assert.deepEqual(desc, [...desc].sort((x, y) => y - x));
  await page.locator('#table th button[data-sort=value]').click();
  const asc = await vals();
  assert.deepEqual(asc, [...asc].sort((x, y) => x - y));
  assert.equal(await page.locator('#table th[aria-sort=ascending]').count(), 1);
  // The table, the open selection box and the weights are accessible too.
  await page.locator('#weights-box summary').click();
  const violations = await axe(page);
  assert.deepEqual(violations, [], violations.join('\n'));
  // Text filter inside the borough.
  await page.locator('#table-filter').fill(list.areas[0].code);
  assert.equal(await rows.count(), 1);
  // Keyboard: the row's name button opens the panel.
  await page.locator('#table tbody button').first().press('Enter');
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, list.areas[0].code);
  // Ward view: a table of wards, population-weighted.
  await page.locator('#table-filter').fill('');
  await page.locator('#ward-view').check();
  const wardRows = await rows.count();
  assert.ok(wardRows > 1 && wardRows < list.count, `${wardRows} ward rows`);
  // Ward view of a head-count: a ward holds the people of all its areas, not their mean.
  const [scores, kg] = await Promise.all([api('/api/scores'), api('/api/key-groups')]);
  const grp = Object.keys(kg.groups)[0];
  const count = kg.groups[grp].count;
  const total = new Map();
  scores.ward_code.forEach((w, a) => { if (w && count[a] !== null) total.set(w, (total.get(w) ?? 0) + count[a]); });
  const a0 = scores.ward_code.findIndex((w) => w && total.has(w));
  await page.locator('#layer').selectOption(`k_${grp}_count`);
  await page.waitForFunction(([a, want]) => Math.abs(window.dxmap.state.values?.[a] - want) < 1e-6, [a0, total.get(scores.ward_code[a0])]);
  const shown = await page.evaluate(() => Array.from(window.dxmap.state.values));
  let checked = 0;
  scores.ward_code.forEach((w, a) => {
    if (!w || !total.has(w)) return;
    assert.ok(Math.abs(shown[a] - total.get(w)) < 1e-6, `area ${scores.code[a]} in ward ${w}: ${shown[a]} vs ${total.get(w)}`);
    checked++;
  });
  assert.ok(checked > 100, `${checked} areas checked`);
  assert.match(await page.locator('#legend').textContent(), /ward totals/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('search, layer switch and phone width', async () => {
  const { page, errors } = await openMap(browser.context, '', { width: 390, height: 844 });
  // On a phone the controls are in a drawer, which closes when an area opens.
  await page.locator('#controls-toggle').click();
  const scores = await api('/api/scores');
  const code = scores.code[100];
  await page.locator('#search').fill(code);
  await page.locator('#search').press('Enter');
  await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c, code);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no horizontal scrolling at phone width');
  await page.evaluate(() => new Promise((r) => { const m = window.dxmap.map; const go = () => (m.isMoving() ? m.once('moveend', go) : m.once('idle', r)); go(); m.triggerRepaint(); }));
  const px = await paintedPixels(page);
  assert.ok(px.painted > px.total * 0.3, `phone map painted (${px.painted} of ${px.total})`);
  await page.screenshot({ path: `${ARTIFACTS}/phone.png` });
  await page.locator('#panel-close').click();
  await page.locator('#controls-toggle').click();
  for (const layer of await page.locator('#layer option').evaluateAll((os) => os.map((o) => o.value))) {
    await page.locator('#layer').selectOption(layer);
    assert.equal(await page.locator('#legend li').count() >= 3, true, `legend for ${layer}`);
  }
  await page.locator('input[name=scale][value=fixed]').check();
  assert.match(await page.locator('#legend').textContent(), /%|[0-9]/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('rectangle selection selects the areas the server finds in the box', async () => {
  const { page, errors } = await openMap(browser.context);
  await page.locator('#selection-box summary').click();
  await page.locator('#draw-rect').click();
  const box = await page.locator('#map canvas').boundingBox();
  const a = [box.x + box.width * 0.45, box.y + box.height * 0.45];
  const b = [box.x + box.width * 0.55, box.y + box.height * 0.55];
  await page.mouse.move(...a);
  await page.mouse.down();
  await page.mouse.move(...b, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => window.dxmap.state.selected.size > 0);
  const bbox = await page.evaluate(({ a, b, box }) => {
    const m = window.dxmap.map;
    const p = m.unproject([a[0] - box.x, a[1] - box.y]); const q = m.unproject([b[0] - box.x, b[1] - box.y]);
    return [Math.min(p.lng, q.lng), Math.min(p.lat, q.lat), Math.max(p.lng, q.lng), Math.max(p.lat, q.lat)];
  }, { a, b, box });
  const used = await page.evaluate(() => window.dxmap.state.lastBbox);
  // Within a few pixels of the drawn box (the map may settle by a pixel meanwhile).
  used.forEach((x, i) => assert.ok(Math.abs(x - bbox[i]) < 0.002, `box ${used} vs drawn ${bbox}`));
  const want = await api('/api/areas?bbox=' + used.map((x) => x.toFixed(6)).join(','));
  const got = await page.evaluate(() => [...window.dxmap.state.selected].sort());
  assert.deepEqual(got, want.areas.map((x) => x.code).sort());
  const st = await page.evaluate((c) => window.dxmap.map.getFeatureState({ source: 'dx', sourceLayer: 'lsoa', id: c }), got[0]);
  assert.equal(st.sel, true, 'selected areas are outlined through feature-state');
  assert.equal(await page.locator('#draw-rect').getAttribute('aria-pressed'), 'false');
  assert.deepEqual(errors, []);
  await page.close();
});
