// The table view: the areas (or, in the ward view, the wards) with the
// value of the layer shown, rank and decile, filtered by borough and text,
// sorted by any column, first 500 rows; a name opens the area's panel.
import * as M from './model.js';
import { h, replace } from './dom.js';
import { focusArea, setDrawer } from './panel.js';
import { $, S, map, scores, boroughNameOf, fieldOf, layerLabel, legendFormat, allAreaValues, rankInScope, isStatic } from './state.js';

// ---------- table view ----------
export let tableSort = { key: 'value', dir: -1 };
export function renderTable() {
  const tb = $('table-borough').value;
  const q = $('table-filter').value.trim().toLowerCase();
  const values = S.values ?? allAreaValues('index');
  const table = $('table');
  let cols;
  let rows;
  const valueLabel = S.values ? layerLabel(S.layer) : 'Risk index';
  if (S.wards && S.values) {
    const base = allAreaValues(S.layer) ?? allAreaValues('index');
    const how = fieldOf(allAreaValues(S.layer) ? S.layer : 'index')?.rollup;
    const wr = M.wardRollup(scores, base, how);
    cols = [['code', 'Ward'], ['borough', 'Borough'], ['areas', 'Areas', true], ['population', 'Population', true], ['value', valueLabel + (how === 'sum' ? ' (total)' : ' (pop.-weighted)'), true]];
    rows = wr.wards.filter((w) => (!tb || w.borough === tb) && (!q || `${w.name} ${w.code}`.toLowerCase().includes(q)))
      .map((w) => ({ code: w.name, borough: boroughNameOf(w.borough), areas: w.areas, population: w.population, value: w.value }));
  } else {
    const rd = rankInScope(values);
    cols = [['name', 'Area'], ['code', 'Code'], ['borough', 'Borough'], ['ward', 'Ward'], ['value', valueLabel, true], ['rank', 'Rank', true], ['decile', 'Decile', true]];
    rows = [];
    scores.code.forEach((c, a) => {
      if (tb && scores.borough_code[a] !== tb) return;
      if (q && !c.toLowerCase().includes(q) && !String(scores.name[a]).toLowerCase().includes(q)) return;
      rows.push({ code: c, name: scores.name[a], borough: scores.borough_name[a], ward: scores.ward_name?.[a] ?? '', value: values[a], rank: rd.rank[a], decile: rd.decile[a] });
    });
  }
  if (!cols.some(([k]) => k === tableSort.key)) tableSort = { key: 'value', dir: -1 };
  const { key, dir } = tableSort;
  rows.sort((x, y) => {
    const a = x[key], b = y[key];
    const an = typeof a === 'number' ? (Number.isFinite(a) ? a : -Infinity) : a;
    const bn = typeof b === 'number' ? (Number.isFinite(b) ? b : -Infinity) : b;
    return (an < bn ? -1 : an > bn ? 1 : 0) * dir || (x.code < y.code ? -1 : 1);
  });
  const LIMIT = 500;
  const shown = rows.slice(0, LIMIT);
  const head = cols.map(([k, label, numeric]) => {
    const sort = k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none';
    return h('th', { scope: 'col', 'aria-sort': sort, class: numeric && 'num' },
      h('button', { type: 'button', 'data-sort': k }, label, k === key && (dir > 0 ? ' ▲' : ' ▼')));
  });
  const body = shown.map((r) => h('tr', { 'data-code': r.code }, cols.map(([k, , numeric]) => {
    let v = r[k];
    if (k === 'name') return h('td', null, h('button', { type: 'button', class: 'link', 'data-open': r.code }, v));
    if (typeof v === 'number') v = k === 'value' ? legendFormat(v) : k === 'population' ? Math.round(v).toLocaleString('en-GB') : v;
    if (typeof r[k] === 'number' && !Number.isFinite(r[k])) v = '–';
    return h('td', { class: numeric && 'num' }, v ?? '–');
  })));
  replace(table, h('thead', null, h('tr', null, head)), h('tbody', null, body));
  $('table-caption').textContent = `${rows.length} ${S.wards && S.values ? 'wards' : 'areas'}${rows.length > LIMIT ? `, first ${LIMIT} shown (filter by borough or by name${isStatic() ? '' : ', or download CSV for all'})` : ''}. Sorted by ${cols.find(([k]) => k === key)[1]}, ${dir > 0 ? 'ascending' : 'descending'}.`;
}

export function setupTable() {
  const btn = $('toggle-table');
  btn.addEventListener('click', () => {
    const tv = $('table-view');
    tv.hidden = !tv.hidden;
    btn.setAttribute('aria-expanded', String(!tv.hidden));
    btn.textContent = tv.hidden ? 'Show table view' : 'Hide table view';
    if (!tv.hidden) { setDrawer(false, false); renderTable(); tv.scrollIntoView({ block: 'start' }); map.resize(); }
  });
  $('table').addEventListener('click', (e) => {
    const s = e.target.closest('[data-sort]');
    if (s) {
      const k = s.dataset.sort;
      tableSort = { key: k, dir: tableSort.key === k ? -tableSort.dir : k === 'value' || k === 'population' ? -1 : 1 };
      renderTable();
      $('table').querySelector(`[data-sort="${k}"]`)?.focus();
      return;
    }
    const o = e.target.closest('[data-open]');
    if (o) focusArea(o.dataset.open);
  });
  $('table-borough').addEventListener('change', renderTable);
  $('table-filter').addEventListener('input', renderTable);
}
