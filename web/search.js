// Search over boroughs, wards and areas, by name or code: a combobox (the
// #search input) with a listbox of results (#search-results), driven by the
// keyboard (arrows, Enter, Escape) or the pointer. Choosing a borough or a
// ward fits the map to it; choosing an area opens its panel.
import { h, replace } from './dom.js';

const KIND_ORDER = { borough: 0, ward: 1, area: 2 };
const KIND_LABEL = { borough: 'borough', ward: 'ward', area: 'area' };
const LIMIT = 12;
const MIN_CHARS = 2;

const norm = (s) => String(s ?? '').toLowerCase();

/** Search entries from /api/meta boroughs, /api/places/labels wards and /api/scores areas. */
export function searchEntries(meta, places, scores) {
  const out = [];
  const boroughName = new Map();
  for (const b of meta.boroughs ?? []) {
    boroughName.set(b.code, b.name);
    out.push({ kind: 'borough', code: b.code, name: b.name, within: '', bbox: b.bbox });
  }
  for (const f of places?.features ?? []) {
    const p = f.properties;
    if (p.kind === 'ward') out.push({ kind: 'ward', code: p.code, name: p.name, within: p.borough_name, bbox: p.bbox });
  }
  scores.code.forEach((c, a) => out.push({ kind: 'area', code: c, name: String(scores.name[a]), within: boroughName.get(scores.borough_code?.[a]) ?? scores.borough_name?.[a] ?? '' }));
  for (const e of out) { e.lname = norm(e.name); e.lcode = norm(e.code); }
  return out;
}

/**
 * Entries matching `query`: names starting with it first, then names with a
 * word starting with it, then any name or code containing it; within each,
 * boroughs, wards, areas, then by name.
 */
export function searchMatches(entries, query, limit = LIMIT) {
  const q = norm(query).trim();
  if (q.length < MIN_CHARS) return [];
  const scored = [];
  for (const e of entries) {
    let tier;
    if (e.lname.startsWith(q) || e.lcode === q) tier = 0;
    else if (e.lname.includes(' ' + q) || e.lname.includes('-' + q)) tier = 1;
    else if (e.lname.includes(q) || e.lcode.includes(q)) tier = 2;
    else continue;
    scored.push([tier, e]);
  }
  scored.sort(([ta, a], [tb, b]) => ta - tb || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.code < b.code ? -1 : 1));
  return scored.slice(0, limit).map(([, e]) => e);
}

/**
 * Wires the search box. `places` is a promise of /api/places/labels (wards
 * join the entries when it resolves); `openArea(code)` opens an area's panel.
 */
export function setupSearch({ map, meta, scores, places, openArea }) {
  const input = document.getElementById('search');
  const list = document.getElementById('search-results');
  const hint = document.getElementById('search-hint');
  const hintText = `Type at least ${MIN_CHARS} characters of a borough, ward or area name or code.`;
  hint.textContent = hintText;
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', 'search-results');
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Search results');
  list.removeAttribute('aria-live');
  list.hidden = true;

  let entries = searchEntries(meta, null, scores);
  Promise.resolve(places).then((p) => { if (p) { entries = searchEntries(meta, p, scores); if (!list.hidden) render(); } });
  let hits = [];
  let active = -1;

  const setActive = (i) => {
    active = i;
    list.querySelectorAll('[role=option]').forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    const li = i >= 0 ? list.children[i] : null;
    if (li) { input.setAttribute('aria-activedescendant', li.id); li.scrollIntoView({ block: 'nearest' }); } else input.removeAttribute('aria-activedescendant');
  };
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    setActive(-1);
  };
  function render() {
    hits = searchMatches(entries, input.value);
    replace(list);
    active = -1;
    input.removeAttribute('aria-activedescendant');
    if (input.value.trim().length < MIN_CHARS) { hint.textContent = hintText; close(); return; }
    hint.textContent = hits.length ? `${hits.length}${hits.length === LIMIT ? ' or more' : ''} matches; arrow keys to move, Enter to choose.` : 'No matching borough, ward or area.';
    hits.forEach((e, i) => {
      // Keep focus in the box when an option is clicked.
      list.append(h('li', { id: `search-opt-${i}`, role: 'option', 'aria-selected': 'false', 'data-kind': e.kind, 'data-code': e.code,
        onmousedown: (ev) => ev.preventDefault(), onclick: () => choose(e) },
      h('span', null, e.kind === 'area' ? `${e.name} (${e.code})` : e.name),
      h('span', { class: 'kind' }, ` · ${KIND_LABEL[e.kind]}${e.within ? ', ' + e.within : ''}`)));
    });
    list.hidden = !hits.length;
    input.setAttribute('aria-expanded', String(hits.length > 0));
  }
  function choose(e) {
    close();
    input.value = e.kind === 'area' ? `${e.name} (${e.code})` : e.name;
    if (e.kind === 'area') { openArea(e.code); return; }
    if (e.bbox) {
      map.fitBounds([[e.bbox[0], e.bbox[1]], [e.bbox[2], e.bbox[3]]], { padding: 30, maxZoom: 15, duration: 600 });
      hint.textContent = `Showing ${e.name} (${KIND_LABEL[e.kind]}${e.within ? ', ' + e.within : ''}).`;
    }
  }

  input.addEventListener('input', render);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      if (list.hidden) { render(); if (list.hidden) return; }
      const n = hits.length;
      setActive(ev.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n);
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      const e = hits[active >= 0 ? active : 0];
      if (e && input.value.trim().length >= MIN_CHARS) choose(e);
    } else if (ev.key === 'Escape') {
      if (!list.hidden) { ev.preventDefault(); ev.stopPropagation(); close(); } else input.value = '';
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}
