// A static copy of the map (`dxmap export site`, `"static": true` in
// api/meta) has no server behind it: nothing can re-score a selection, cut
// a download or find the areas in a drawn rectangle. Those controls are
// hidden, and the selection box says why, so nothing fails on a click.

/** Hides the controls a static site cannot serve and says so. */
export function applyStaticMode(doc = document) {
  for (const id of ['draw-rect', 'dl-csv', 'dl-geojson']) {
    const el = doc.getElementById(id);
    if (el) el.hidden = true;
  }
  const norm = doc.querySelector('input[name="norm"][value="selection"]');
  if (norm) norm.closest('fieldset').hidden = true;
  const summary = doc.getElementById('selection-summary');
  if (summary && !doc.getElementById('static-note')) {
    const note = doc.createElement('p');
    note.id = 'static-note';
    note.className = 'hint';
    note.textContent = 'This is a static copy of the map: selected areas are highlighted and listed, '
      + 'but re-scoring within a selection, rectangle selection and downloads need the dxmap server.';
    summary.after(note);
  }
  doc.body.dataset.static = 'true';
}
