// Downloads: asks the server (POST /api/download) for the current selection
// (or every area) with the current weights and level, and saves the file it
// answers with. The server writes it with the CLI's export code: full
// geometry from the dataset, key groups, raw values, and the methodology,
// weights, sources and date as metadata (GeoJSON `metadata` member; the CSV
// comes as a zip of data.csv, metadata.json and README.txt).

/** The request body for the page's state: selection, weights that differ from the methodology's, level. */
export function downloadRequest(format, { selected, weights, wards }) {
  const body = { format };
  if (selected.size) body.codes = [...selected].sort();
  if (weights) body.weights = weights;
  if (wards) body.level = 'ward';
  return body;
}

/** The file name from a Content-Disposition header, or `fallback`. */
export function fileName(disposition, fallback) {
  const m = /filename="([^"]+)"/.exec(disposition ?? '');
  return m ? m[1] : fallback;
}

function save(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Wires the download buttons. `state()` gives { selected: Set of codes,
 * weights: changed weights by id or null, wards: bool }; `setStatus` shows progress and errors.
 */
export function setupDownloads({ buttons, state, setStatus }) {
  const run = async (format, button) => {
    button.disabled = true;
    setStatus(`Preparing the ${format === 'csv' ? 'CSV' : 'GeoJSON'} download…`);
    try {
      const r = await fetch('api/download', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(downloadRequest(format, state())),
      });
      if (!r.ok) {
        let msg = r.statusText;
        try { msg = (await r.json()).error || msg; } catch { /* keep the status text */ }
        throw new Error(`${r.status} ${msg}`);
      }
      save(fileName(r.headers.get('content-disposition'), format === 'csv' ? 'dxmap-csv.zip' : 'dxmap.geojson'), await r.blob());
      setStatus('');
    } catch (e) {
      setStatus('The download failed: ' + (e.message ?? e));
    } finally {
      button.disabled = false;
    }
  };
  for (const [format, button] of Object.entries(buttons)) button.addEventListener('click', () => run(format, button));
  return { download: (format) => run(format, buttons[format]) };
}
