// Shared set-up for the browser tests: launches Debian's chromium through
// playwright-core with a fresh profile, and opens the map at DXMAP_URL.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE = process.env.DXMAP_URL ?? 'http://127.0.0.1:8080';

/** GET (or `init`'s method) `path` of the server at `base` (default
 * DXMAP_URL); fails the test unless the answer is 200; the JSON body. */
export async function api(path, { base = BASE, ...init } = {}) {
  const r = await fetch(base + path, init);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dxmap-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    viewport: { width: 1280, height: 860 },
    acceptDownloads: true,
  });
  const close = async () => { await context.close(); fs.rmSync(userDataDir, { recursive: true, force: true }); };
  return { context, close };
}

/**
 * Opens the map (of the server at `base`, default DXMAP_URL), collecting
 * console errors and failed requests; resolves when the app says ready.
 */
export async function openMap(context, hash = '', viewport, base = BASE) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  // MapLibre's worker logs on its own console; CSP violations also fire an event.
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker: ${m.text()}`); }));
  await page.exposeFunction('dxmapCspViolation', (v) => errors.push(`CSP violation: ${v}`));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    (e) => window.dxmapCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`)));
  // MapLibre cancels tile requests that scroll out of view: ERR_ABORTED is normal.
  page.on('requestfailed', (r) => { if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  const t0 = Date.now();
  const response = await page.goto(base + '/' + (hash ? '#' + hash : ''));
  await page.waitForFunction(() => window.dxmap?.ready === true || window.dxmap?.errors?.length > 0, null, { timeout: 60000 });
  const wall = Date.now() - t0;
  return { page, errors, wall, headers: response.headers() };
}

/** Counts canvas pixels that differ from the background colour in a screenshot of the map canvas. */
export async function paintedPixels(page) {
  return page.evaluate(async () => {
    const canvas = window.dxmap.map.getCanvas();
    await new Promise((r) => window.dxmap.map.once('render', r) && window.dxmap.map.triggerRepaint());
    const url = canvas.toDataURL('image/png');
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const bg = Math.abs(d[i] - 0xf4) < 3 && Math.abs(d[i + 1] - 0xf4) < 3 && Math.abs(d[i + 2] - 0xf1) < 3;
      if (!bg && d[i + 3] > 0) { painted++; if (colours.size < 500) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); }
    }
    return { painted, total: d.length / 4, colours: colours.size };
  });
}

/** RGBA of the page screenshot at the given CSS-pixel points (decoded in the page itself). */
export async function pixelsAt(page, points) {
  const png = (await page.screenshot()).toString('base64');
  return page.evaluate(async ({ png, points }) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + png;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const scale = img.width / window.innerWidth;
    return points.map(([x, y]) => Array.from(ctx.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data));
  }, { png, points });
}

export function hexToRgb(h) {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** `colour` drawn at `opacity` over `bg`, as the map composites it. */
export function blend(colour, bg, opacity) {
  const a = hexToRgb(colour); const b = hexToRgb(bg);
  return a.map((v, i) => Math.round(v * opacity + b[i] * (1 - opacity)));
}

export const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** The files of a zip (stored or deflated, no zip64) by name, as Buffers: enough to read a download. */
export function unzip(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const out = {};
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0, n = buf.readUInt16LE(eocd + 10); i < n; i++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const [nameLen, extraLen, commentLen] = [28, 30, 32].map((o) => buf.readUInt16LE(p + o));
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    out[name] = method === 8 ? zlib.inflateRawSync(data) : Buffer.from(data);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
