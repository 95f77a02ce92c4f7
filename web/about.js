// The page's title and its "About this map" dialog. In: /api/meta (the
// dataset's title, geography, ward vintage, sources with their vintages,
// attribution, demonstration flag) and /api/methodology (name, description,
// components and weights, missing-data policy, key groups with their
// definitions and reasoning), and the count of areas with insufficient data.
// Out: the page title, and a modal dialog saying what the index is, how it
// is made, when its data date from and what to be careful of. The dialog
// opens from the header button (or at a key group's definition), closes with
// Escape or its button, and gives focus back to where it was.
import { listText } from './format.js';
import { h, replace } from './dom.js';

const $ = (id) => document.getElementById(id);
const pct = (w) => `${Math.round(w * 1000) / 10}%`;

/** The page's title: the methodology's name, then the dataset's geography. */
export function pageTitle(meta, meth) {
  const name = meth?.name || 'Digital exclusion risk map';
  return meta?.geography ? `${name} · ${meta.geography}` : name;
}

/** Sources grouped by vintage: [{vintage, labels: [...], sources: [...], demonstration}]. */
export function vintages(sources) {
  const by = new Map();
  for (const s of sources ?? []) {
    const v = s.vintage || 'vintage not recorded';
    if (!by.has(v)) by.set(v, { vintage: v, labels: [], sources: new Set(), demonstration: false });
    const g = by.get(v);
    g.labels.push(s.label || s.column);
    if (s.method) g.sources.add(s.method);
    g.demonstration ||= !!s.demonstration;
  }
  return [...by.values()].map((g) => ({ ...g, sources: [...g.sources] }));
}

function method(meth) {
  const rows = meth.components.map((c) => h('li', null, h('strong', null, c.label), `: ${pct(c.weight)} of the index`,
    h('ul', null, c.indicators.map((i) => h('li', null, i.label, ' ', h('span', { class: 'meta' }, `(${pct(i.weight)} of the component)`))))));
  const missing = {
    skip: 'an indicator with no value is left out and the others in its component carry its weight',
    exclude_area: 'an area must have every input to get an index',
  }[meth.missing] ?? `missing values: ${meth.missing}`;
  return [
    h('p', null, `Each indicator is scored 0 to 10 across the areas in scope (${meth.scope ?? ''}; 10 = the highest risk among them). `
      + "A component is the weighted mean of its indicators' scores, and the index the weighted mean of the components:"),
    h('ul', { class: 'about-method' }, rows),
    h('p', null, `Missing values: ${missing}.`),
  ];
}

function caveats(meta, meth, insufficient) {
  const item = (title, text, attrs = null) => h('li', attrs, h('strong', null, title), ' ', text);
  const out = [];
  if (meth.min_coverage > 0) {
    const count = insufficient === null || insufficient === undefined ? ''
      : `${insufficient.toLocaleString('en-GB')} area${insufficient === 1 ? ' has' : 's have'} too little and no index:`;
    out.push(item('Insufficient data.', `An area needs at least ${pct(meth.min_coverage)} of the index weight present for an index. ${count} the map shows them in their own colour and the area's details list the missing inputs.`));
  }
  if (meta.ward_vintage) out.push(item('Wards are a best fit.', `Each small area is assigned whole to one ward (${meta.ward_vintage}); ward figures are sums or population-weighted means of those areas, not exact ward statistics.`));
  out.push(item('Relative, not absolute.', 'Scores rank areas against each other; a low score is lower risk than elsewhere, not no risk.'));
  out.push(item('Key-group figures are estimates', 'from census tables, not counts of people who are offline.'));
  if (meta.demonstration) out.push(item('Demonstration data.', 'Some values on this map are synthetic and must not be used for decisions.', { class: 'warn' }));
  return h('ul', null, out);
}

function groups(meth) {
  const ps = meth.personas ?? [];
  if (!ps.length) return h('p', { class: 'meta' }, 'This methodology defines no key groups.');
  return h('dl', { class: 'about-groups' }, ps.map((p) => [
    h('dt', { id: `about-group-${p.id}`, tabindex: '-1' }, p.label),
    h('dd', null, p.description, p.reasoning && [h('br'), h('span', { class: 'meta' }, `Why: ${p.reasoning}`)]),
  ]));
}

/** The dialog's body, as nodes. */
export function aboutBody(meta, meth, insufficient) {
  const data = vintages(meta.sources).map((g) => h('li', null, h('strong', null, g.vintage), `: ${listText(g.labels)}`,
    g.sources.length > 0 && [' ', h('span', { class: 'meta' }, `(${g.sources.join('; ')})`)],
    g.demonstration && [' ', h('strong', null, 'demonstration data')]));
  return [
    h('h2', { id: 'about-title' }, 'About this map'),
    h('h3', null, 'What the index is'),
    h('p', null, h('strong', null, meth.name), `. ${meth.description ?? ''}`),
    h('p', null, `It estimates the risk that residents of each small area (${meta.geography ?? ''}) are digitally excluded, from open data about who lives there and the broadband they can get. A higher index means higher risk relative to the other areas.`),
    h('h3', null, 'Method'), method(meth),
    h('h3', null, 'Data and vintages'),
    h('ul', { class: 'about-data' },
      h('li', null, h('strong', null, 'Boundaries'), `: ${meta.geography ?? ''}`, meta.ward_vintage && `; wards: ${meta.ward_vintage}`), data),
    h('h3', null, 'Caveats'), caveats(meta, meth, insufficient),
    h('h3', { id: 'about-groups' }, 'Key groups'), groups(meth),
    h('h3', null, 'Sources'), h('ul', { class: 'meta' }, (meta.attribution ?? []).map((a) => h('li', null, a))),
  ];
}

let dialog = null;
let opener = null;

/**
 * Sets the title and wires the header's About button and any
 * `[data-about-group]` button (delegated, so legends redrawn later work).
 * `insufficient()` gives the count of areas with insufficient data.
 */
export function setupAbout(meta, meth, insufficient) {
  document.title = pageTitle(meta, meth);
  $('title').textContent = meth?.name || 'Digital exclusion risk map';
  const sub = $('subtitle');
  if (sub) sub.textContent = [meta.geography, meta.title].filter(Boolean).join(' · ');
  dialog = document.createElement('dialog');
  dialog.id = 'about';
  dialog.className = 'about';
  dialog.setAttribute('aria-labelledby', 'about-title');
  document.body.append(dialog);
  const render = () => {
    replace(dialog, h('button', { type: 'button', class: 'close', id: 'about-close', 'aria-label': 'Close About this map', onclick: closeAbout }, '×'),
      aboutBody(meta, meth, insufficient()));
  };
  // Escape closes a modal dialog natively; focus goes back on every close.
  dialog.addEventListener('close', () => {
    const back = opener;
    opener = null;
    if (back?.isConnected) back.focus();
  });
  $('about-open').addEventListener('click', () => { render(); openAbout(); });
  document.addEventListener('click', (e) => {
    const b = e.target.closest?.('[data-about-group]');
    if (b) { render(); openAbout('about-group-' + b.dataset.aboutGroup); }
  });
}

/** Opens the dialog, scrolled to the element `at` (an id) when given. */
export function openAbout(at) {
  if (!dialog) return;
  if (!dialog.open) { opener = document.activeElement; dialog.showModal(); }
  const target = at && dialog.querySelector('#' + CSS.escape(at));
  if (target) { target.scrollIntoView({ block: 'start' }); target.focus(); } else dialog.querySelector('#about-title')?.scrollIntoView();
}

export function closeAbout() {
  if (dialog?.open) dialog.close();
}
