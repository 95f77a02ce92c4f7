// The web map on a phone (390×844) and its controls' edge cases: no sideways
// scrolling, the legend reachable past the detail sheet, 44 px tap targets,
// no tooltip left up by a tap, all-zero weights and focus after Escape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { BASE, ARTIFACTS, launch, openMap } from './helpers.js';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const PHONE = { width: 390, height: 844 };
let browser;
let codes;

before(async () => {
  browser = await launch();
  const scores = await (await fetch(BASE + '/api/scores')).json();
  // The area codes column: `code` in the attribute schema, `codes` before it.
  codes = scores.code ?? scores.codes;
  assert.ok(codes?.length > 300, 'area codes from /api/scores');
});
after(async () => { await browser?.close(); });

const scrollWidth = (page) => page.evaluate(() => document.documentElement.scrollWidth);

/** Opens the controls drawer where there is one (phones). */
async function openDrawer(page) {
  const toggle = page.locator('#controls-toggle');
  if (await toggle.isVisible() && await toggle.getAttribute('aria-expanded') !== 'true') await toggle.click();
}

/** Opens an area's panel the way a user does, from the search box in the drawer. */
async function openAreaFromSearch(page, code) {
  await openDrawer(page);
  await page.locator('#search').fill(code);
  await page.locator('#search').press('Enter');
  await page.waitForFunction((c) => !document.getElementById('panel').hidden && document.getElementById('panel').dataset.code === c, code);
}

test('phone: no sideways scrolling with the panel open or the table shown', async () => {
  const { page, errors } = await openMap(browser.context, '', PHONE);
  assert.ok(await scrollWidth(page) <= 390, `page ${await scrollWidth(page)} px wide at load`);
  await openAreaFromSearch(page, codes[100]);
  assert.ok(await scrollWidth(page) <= 390, `page ${await scrollWidth(page)} px wide with the panel open`);
  // The sheet has a limited height and scrolls inside itself.
  const sheet = await page.locator('#panel').boundingBox();
  assert.ok(sheet.height <= PHONE.height * 0.6, `panel is ${sheet.height} px high`);
  assert.ok(await page.locator('#panel').evaluate((p) => p.scrollHeight > p.clientHeight && getComputedStyle(p).overflowY === 'auto'), 'panel scrolls inside itself');
  await page.screenshot({ path: `${ARTIFACTS}/phone-sheet.png` });
  await page.keyboard.press('Escape');
  await openDrawer(page);
  await page.locator('#toggle-table').click();
  await page.locator('#table tbody tr').first().waitFor();
  assert.ok(await scrollWidth(page) <= 390, `page ${await scrollWidth(page)} px wide with the table shown`);
  const t = await page.locator('.table-scroll').evaluate((e) => ({ sw: e.scrollWidth, cw: e.clientWidth }));
  assert.ok(t.cw <= 390, `table container ${t.cw} px wide`);
  await page.screenshot({ path: `${ARTIFACTS}/phone-table.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test('phone: the map comes first and the legend is reachable past the detail sheet', async () => {
  const { page, errors } = await openMap(browser.context, '', PHONE);
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.y < 100 && map.height >= PHONE.height * 0.75, `map at y=${map.y}, ${map.height} px high`);
  await openAreaFromSearch(page, codes[200]);
  // With the sheet at its default size, one tap shows the legend, not hidden under the sheet.
  await page.locator('#controls-toggle').click();
  const legend = page.locator('#legend');
  assert.ok(await legend.isVisible(), 'legend visible in the drawer');
  const box = await legend.boundingBox();
  assert.ok(box.y + 20 < PHONE.height, `legend top at ${box.y} px`);
  const onTop = await page.evaluate(([x, y]) => !!document.elementFromPoint(x, y)?.closest('#legend'), [box.x + 10, box.y + 10]);
  assert.ok(onTop, 'the legend is not covered by the sheet');
  await page.screenshot({ path: `${ARTIFACTS}/phone-drawer.png` });
  // Drawer over the map and sheet: still no serious accessibility violation.
  await page.evaluate(AXE);
  const v = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const bad = v.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(bad, []);
  // Escape closes the drawer and gives focus back to its button.
  await page.locator('#search').focus();
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#legend').isHidden(), true, 'Escape closes the drawer');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'controls-toggle');
  assert.deepEqual(errors, []);
  await page.close();
});

test('phone: controls have tap targets at least 44 px high', async () => {
  const { page } = await openMap(browser.context, '', PHONE);
  await openDrawer(page);
  for (const d of await page.locator('#controls details').all()) await d.evaluate((e) => { e.open = true; });
  const small = await page.evaluate(() => {
    const out = [];
    const targets = document.querySelectorAll('#controls button, #controls select, #controls input, #controls summary');
    for (const el of targets) {
      if (!el.checkVisibility()) continue;
      // A radio button's or checkbox's hit area is its label.
      const hit = el.matches('input[type=radio], input[type=checkbox]') ? el.closest('label') ?? el : el;
      const h = hit.getBoundingClientRect().height;
      if (h < 44) out.push(`${el.id || el.name || el.textContent.trim().slice(0, 30) || el.tagName}: ${h.toFixed(0)} px`);
    }
    return { out, n: targets.length };
  });
  assert.ok(small.n > 20, `${small.n} controls checked`);
  assert.deepEqual(small.out, [], 'tap targets under 44 px');
  await page.close();
});

test('phone: a tap opens the area without leaving the hover tooltip up', async () => {
  const { page, errors } = await openMap(browser.context, '', PHONE);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  const map = await page.locator('#map').boundingBox();
  const p = { x: Math.round(map.x + map.width / 2), y: Math.round(map.y + map.height / 2) };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [p] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await page.waitForFunction(() => !document.getElementById('panel').hidden, null, { timeout: 10000 });
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#tooltip').isHidden(), true, 'no tooltip after a tap');
  assert.deepEqual(errors, []);
  await page.close();
});

test('all-zero weights show a message, no error, and a legend of no data only', async () => {
  for (const viewport of [PHONE, undefined]) {
    const { page, errors } = await openMap(browser.context, '', viewport);
    await openDrawer(page);
    await page.locator('#weights-box summary').click();
    for (const s of await page.locator('#weights input[type=range]').all()) await s.fill('0');
    const msg = page.locator('#weights-message');
    assert.ok(await msg.isVisible(), 'message shown beside the weights');
    assert.match(await msg.textContent(), /at least one weight above zero/i);
    assert.match(await page.locator('#legend').textContent(), /at least one weight above zero/i);
    const items = await page.locator('#legend li').allTextContents();
    assert.ok(items.length === 1 && items[0].startsWith('No data'), `the legend claims no classes: ${items.join(' | ')}`);
    await page.locator('#reset-weights').click();
    assert.equal(await msg.isHidden(), true, 'message gone after reset');
    // Ten classes, and a gap class only where areas fall in it.
    const sc = await (await fetch(BASE + '/api/scores')).json();
    const gaps = [sc.index_status.some((x) => x === 'insufficient_data'), sc.index.some((v, i) => v === null && sc.index_status[i] !== 'insufficient_data')];
    const legend = await page.locator('#legend li').allTextContents();
    assert.equal(legend.length, 10 + gaps.filter(Boolean).length, `ten classes and the gap classes that hold areas: ${legend.join(' | ')}`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('Escape closes the panel and returns focus to what opened it', async () => {
  for (const viewport of [undefined, PHONE]) {
    const { page, errors } = await openMap(browser.context, '', viewport);
    await openAreaFromSearch(page, codes[300]);
    await page.waitForFunction(() => document.activeElement?.id === 'panel-title');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#panel').isHidden(), true);
    // On a phone the drawer closed when the area opened: focus goes to its button.
    const want = viewport ? 'controls-toggle' : 'search';
    assert.equal(await page.evaluate(() => document.activeElement?.id), want, `focus on #${want} after Escape`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});
