// The map as static files (`dxmap export site`), hosted under a sub-path by
// a plain file server (no dxmap process): the page loads, draws its tiles,
// opens an area's panel from the written api/areas/<CODE>, and hides, with
// a note, what needs a server. Needs the binary (DXMAP_BIN, which run.sh
// sets); skips with a printed line when testing an already running server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { launch, openMap, paintedPixels } from './helpers.js';

/** Serves `root` as a static host would: files by path, no encodings, 404 else. */
function fileServer(root) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/\/$/, '/index.html');
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' }[path.extname(file)];
    res.writeHead(200, type ? { 'content-type': type } : {});
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('the exported static site works under a sub-path with no server behind it', async (t) => {
  const bin = process.env.DXMAP_BIN;
  if (!bin) {
    console.log('skipped: DXMAP_BIN is not set (run through tests/browser/run.sh)');
    t.skip('no binary');
    return;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dxmap-site-'));
  const server = await fileServer(root);
  const { context, close } = await launch();
  try {
    execFileSync(bin, ['export', 'site', '--quiet', '--max-zoom', '12', '--out', path.join(root, 'sub')], { stdio: 'inherit' });
    const base = `http://127.0.0.1:${server.address().port}/sub`;
    const { page, errors } = await openMap(context, '', undefined, base);
    await page.waitForFunction(() => window.dxmap.map.loaded() && window.dxmap.map.areTilesLoaded(), null, { timeout: 60000 });
    assert.deepEqual(errors, [], 'no console errors, failed requests or 404s');
    assert.ok((await paintedPixels(page)).painted > 10000, 'the choropleth is drawn from the site\'s tiles');

    // What needs a server is hidden, and the page says why.
    assert.equal(await page.locator('#draw-rect').isHidden(), true);
    assert.equal(await page.locator('#dl-csv').isHidden(), true);
    assert.equal(await page.locator('input[name="norm"][value="selection"]').isHidden(), true);
    await page.locator('#selection-box > summary').click();
    assert.match(await page.locator('#static-note').innerText(), /static copy/);

    // The panel reads the written api/areas/<CODE>.
    const first = fs.readdirSync(path.join(root, 'sub', 'api', 'areas')).sort()[0];
    await page.evaluate((c) => window.dxmap.openPanel(c), first);
    await page.waitForFunction((c) => document.getElementById('panel').dataset.code === c && !document.getElementById('panel').hidden, first);
    assert.match(await page.locator('#panel-body').innerText(), /\d/);
    assert.deepEqual(errors, [], 'the panel loads with no error');

    // Re-weighting reads the site's api/scores-exact: the panel ranks the
    // area at the user's weights, within its scope group.
    await page.evaluate(() => { const w = window.dxmap.state.weights.components; const k = Object.keys(w)[0]; w[k] *= 3; });
    await page.evaluate((c) => window.dxmap.openPanel(c), first);
    const rank = await page.locator('[data-field=reweighted-rank]').textContent({ timeout: 30000 });
    assert.match(rank, /^rank \d+ of [\d,]+ \(.+\), decile \d+$/, rank);

    // The table's caption offers only what the site has: no download.
    await page.locator('#toggle-table').click();
    await page.waitForFunction(() => document.getElementById('table-caption').textContent.includes('Sorted by'));
    const caption = await page.locator('#table-caption').textContent();
    assert.doesNotMatch(caption, /download/i, caption);
    assert.deepEqual(errors, [], 'no error re-weighting or in the table');
    await page.close();
  } finally {
    await close();
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
