// Starts the API requests as the page loads, in parallel with loading
// MapLibre's module; app.js takes each response once. A file, not an inline
// script, so the page's Content-Security-Policy allows scripts from 'self' only.
window.dxmapPrefetch = Object.fromEntries(['api/meta', 'api/methodology', 'tiles.json', 'api/scores']
  .map((u) => [u, fetch(u)]));
