// The page's title and its "About this map" dialog. In: /api/meta (the
// dataset's title, geography, ward vintage, sources with their vintages,
// attribution, demonstration flag) and /api/methodology (name, description,
// components and weights, missing-data policy, key groups with their
// definitions and reasoning), and the count of areas with insufficient data.
// Out: the page title, and a modal dialog saying what the index is, how it
// is made, when its data date from and what to be careful of. The dialog
// opens from the header button (or at a key group's definition), closes with
// Escape or its button, and gives focus back to where it was.
import { esc, listText } from './format.js';

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

function methodHtml(meth) {
  const rows = meth.components.map((c) => {
    const inds = c.indicators.map((i) => `<li>${esc(i.label)} <span class="meta">(${pct(i.weight)} of the component)</span></li>`).join('');
    return `<li><strong>${esc(c.label)}</strong>: ${pct(c.weight)} of the index<ul>${inds}</ul></li>`;
  }).join('');
  const missing = {
    skip: 'an indicator with no value is left out and the others in its component carry its weight',
    exclude_area: 'an area must have every input to get an index',
  }[meth.missing] ?? `missing values: ${esc(meth.missing)}`;
  return `<p>Each indicator is scored 0 to 10 across the areas in scope (${esc(meth.scope)}; 10 = the highest risk among them).
    A component is the weighted mean of its indicators' scores, and the index the weighted mean of the components:</p>
    <ul class="about-method">${rows}</ul>
    <p>Missing values: ${esc(missing)}.</p>`;
}

function caveatsHtml(meta, meth, insufficient) {
  const out = [];
  if (meth.min_coverage > 0) {
    out.push(`<li><strong>Insufficient data.</strong> An area needs at least ${pct(meth.min_coverage)} of the index weight present for an index. ${insufficient === null || insufficient === undefined ? '' : `${insufficient.toLocaleString('en-GB')} area${insufficient === 1 ? ' has' : 's have'} too little and no index:`} the map shows them in their own colour and the area's details list the missing inputs.</li>`);
  }
  if (meta.ward_vintage) out.push(`<li><strong>Wards are a best fit.</strong> Each small area is assigned whole to one ward (${esc(meta.ward_vintage)}); ward figures are sums or population-weighted means of those areas, not exact ward statistics.</li>`);
  out.push('<li><strong>Relative, not absolute.</strong> Scores rank areas against each other; a low score is lower risk than elsewhere, not no risk.</li>');
  out.push('<li><strong>Key-group figures are estimates</strong> from census tables, not counts of people who are offline.</li>');
  if (meta.demonstration) out.push('<li class="warn"><strong>Demonstration data.</strong> Some values on this map are synthetic and must not be used for decisions.</li>');
  return `<ul>${out.join('')}</ul>`;
}

function groupsHtml(meth) {
  const ps = meth.personas ?? [];
  if (!ps.length) return '<p class="meta">This methodology defines no key groups.</p>';
  return `<dl class="about-groups">${ps.map((p) => `<dt id="about-group-${esc(p.id)}" tabindex="-1">${esc(p.label)}</dt>
    <dd>${esc(p.description)}${p.reasoning ? `<br><span class="meta">Why: ${esc(p.reasoning)}</span>` : ''}</dd>`).join('')}</dl>`;
}

/** The dialog's body. */
export function aboutHtml(meta, meth, insufficient) {
  const vs = vintages(meta.sources);
  const data = vs.map((g) => `<li><strong>${esc(g.vintage)}</strong>: ${esc(listText(g.labels))}${g.sources.length ? ` <span class="meta">(${esc(g.sources.join('; '))})</span>` : ''}${g.demonstration ? ' <strong>demonstration data</strong>' : ''}</li>`).join('');
  return `<h2 id="about-title">About this map</h2>
    <h3>What the index is</h3>
    <p><strong>${esc(meth.name)}</strong>. ${esc(meth.description)}</p>
    <p>It estimates the risk that residents of each small area (${esc(meta.geography)}) are digitally excluded, from open data about who lives there and the broadband they can get. A higher index means higher risk relative to the other areas.</p>
    <h3>Method</h3>${methodHtml(meth)}
    <h3>Data and vintages</h3>
    <ul class="about-data"><li><strong>Boundaries</strong>: ${esc(meta.geography)}${meta.ward_vintage ? `; wards: ${esc(meta.ward_vintage)}` : ''}</li>${data}</ul>
    <h3>Caveats</h3>${caveatsHtml(meta, meth, insufficient)}
    <h3 id="about-groups">Key groups</h3>${groupsHtml(meth)}
    <h3>Sources</h3><ul class="meta">${(meta.attribution ?? []).map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`;
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
    dialog.innerHTML = `<button type="button" class="close" id="about-close" aria-label="Close About this map">×</button>${aboutHtml(meta, meth, insufficient())}`;
    dialog.querySelector('#about-close').addEventListener('click', closeAbout);
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
