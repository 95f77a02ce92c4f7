// Node-only checks of web/dom.js and of the page sections built with it: text
// goes in as text, so markup in a name or label shows literally and creates
// no element; attributes are set as written; and no file of the page builds
// HTML from strings (innerHTML and the like).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installFakeDocument, html, elements } from './fakedom.js';
import { h, frag, nodes, replace, escapeHtml } from '../../web/dom.js';
import { renderLegend } from '../../web/legend.js';
import { driversSection } from '../../web/drivers.js';
import { needsSection } from '../../web/needs.js';
import { aboutBody } from '../../web/about.js';

installFakeDocument();

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
/** A name an analyst's data could hold: markup, an entity and quotes. */
const EVIL = '<img src=x onerror="globalThis.pwned=1">Camden &amp; "Co" 001A';
const tags = (node) => elements(node).map((e) => e.tagName.toLowerCase());

test('text is a text node: markup shows literally and makes no element', () => {
  const li = h('li', { class: 'x' }, EVIL);
  assert.equal(li.textContent, EVIL);
  assert.deepEqual(tags(li), []);
  assert.equal(html(li), '<li class="x">&lt;img src=x onerror="globalThis.pwned=1"&gt;Camden &amp;amp; "Co" 001A</li>');
});

test('attributes are set as written; null, undefined and false are left out; true is an empty attribute', () => {
  const el = h('input', { id: 'a"b', value: 1.5, hidden: true, disabled: false, title: null, 'aria-label': undefined, 'data-code': EVIL });
  assert.equal(el.getAttribute('id'), 'a"b');
  assert.equal(el.getAttribute('value'), '1.5');
  assert.equal(el.getAttribute('hidden'), '');
  for (const k of ['disabled', 'title', 'aria-label']) assert.equal(el.getAttribute(k), null, k);
  assert.equal(el.getAttribute('data-code'), EVIL);
  assert.deepEqual(h('div', { style: { width: '30%', background: '#fff' } }).style, { width: '30%', background: '#fff' });
});

test('an on… function listens; attributes may be left out; children flatten and skip the empty', () => {
  let clicks = 0;
  const b = h('button', { onclick: () => { clicks++; } }, 'Go');
  b.dispatch('click');
  assert.equal(clicks, 1);
  assert.equal(b.getAttribute('onclick'), null, 'a listener, not an attribute');
  assert.equal(html(h('p', 'text ', 0, [h('br'), [null, 'deep']], undefined, false, true)), '<p>text 0<br>deep</p>');
  assert.equal(html(h('li', h('strong', null, 'A'))), '<li><strong>A</strong></li>');
  assert.equal(nodes(null, [undefined, false], true).length, 0);
});

test('replace swaps an element\'s children; a fragment adds its children, not itself', () => {
  const el = h('div', null, h('p', null, 'old'));
  assert.equal(replace(el, frag(h('h3', null, 'A'), 'b'), [h('ol')]), el);
  assert.equal(html(el), '<div><h3>A</h3>b<ol></ol></div>');
  replace(el);
  assert.equal(html(el), '<div></div>');
});

test('escapeHtml (for MapLibre\'s customAttribution) escapes every special character', () => {
  assert.equal(escapeHtml(EVIL), '&lt;img src=x onerror=&quot;globalThis.pwned=1&quot;&gt;Camden &amp;amp; &quot;Co&quot; 001A');
  assert.equal(escapeHtml("'"), '&#39;');
  assert.equal(escapeHtml(null), '');
});

test('the legend, drivers, needs and About show markup in data literally', () => {
  const legend = h('div');
  const field = { name: 'x', kind: 'value', unit: EVIL, description: EVIL, higher: EVIL };
  renderLegend(legend, { field, title: EVIL, suffix: EVIL, breaks: [], values: [1], note: EVIL, groupId: EVIL, counts: {} });
  assert.equal(tags(legend).filter((t) => t === 'img').length, 0);
  assert.ok(legend.textContent.split(EVIL).length - 1 >= 5, legend.textContent);
  assert.equal(elements(legend).find((e) => e.getAttribute('data-about-group')).getAttribute('data-about-group'), EVIL);

  const driver = { indicator: EVIL, label: EVIL, direction: 'higher_is_risk', raw: 2, median: 1, kind: 'value', compared_with: EVIL };
  const drivers = driversSection({ index: 5, drivers: [driver] });
  assert.ok(!tags(drivers).includes('img'));
  assert.ok(drivers.textContent.includes(`${EVIL} is 2.00`), drivers.textContent);

  const group = { id: 'g', label: EVIL, count: 10, reason: EVIL, source: EVIL };
  const needs = needsSection({ needs: [{ id: EVIL, label: EVIL, description: EVIL, count: 10, groups: [group] }] });
  assert.deepEqual([...new Set(tags(needs))].sort(), ['h3', 'li', 'p', 'span', 'strong', 'ul']);
  assert.equal(needs.textContent.split(EVIL).length - 1, 5, needs.textContent);

  const meta = { geography: EVIL, ward_vintage: EVIL, sources: [{ vintage: EVIL, label: EVIL, method: EVIL }], attribution: [EVIL] };
  const meth = { name: EVIL, description: EVIL, scope: EVIL, missing: 'skip', min_coverage: 0.5,
    components: [{ label: EVIL, weight: 1, indicators: [{ label: EVIL, weight: 1 }] }], personas: [{ id: EVIL, label: EVIL, description: EVIL, reasoning: EVIL }] };
  const about = h('div', null, aboutBody(meta, meth, 3));
  assert.ok(!tags(about).includes('img'));
  assert.ok(about.textContent.split(EVIL).length - 1 >= 14, about.textContent);
  assert.equal(elements(about).find((e) => e.tagName === 'DT').getAttribute('id'), `about-group-${EVIL}`);
});

test('no file of the page builds HTML from strings', () => {
  const found = [];
  for (const f of fs.readdirSync(WEB).filter((n) => n.endsWith('.js'))) {
    fs.readFileSync(path.join(WEB, f), 'utf8').split('\n').forEach((line, i) => {
      if (/\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment/.test(line)) found.push(`web/${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});
