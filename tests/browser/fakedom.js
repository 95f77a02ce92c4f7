// A tiny stand-in for the browser's `document`, enough for web/dom.js and the
// page modules that build elements with it (legend, drivers, needs, about),
// so node's test runner can check what they build without a browser.
// `html(node)` serialises a node as the browser would (text escaped), and
// `elements(node)` lists every element under it, for "nothing was injected".

class FakeNode {
  constructor(nodeType) {
    this.nodeType = nodeType;
    this.childNodes = [];
    this.parentNode = null;
  }

  append(...xs) {
    for (const x of xs) {
      if (typeof x === 'string') { this.append(new FakeText(x)); continue; }
      // Appending a fragment moves its children, as the DOM does.
      if (x.nodeType === 11) { this.append(...x.childNodes); continue; }
      if (x.parentNode) x.parentNode.childNodes.splice(x.parentNode.childNodes.indexOf(x), 1);
      x.parentNode = this;
      this.childNodes.push(x);
    }
  }

  replaceChildren(...xs) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    this.append(...xs);
  }

  get children() { return this.childNodes.filter((c) => c.nodeType === 1); }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(''); }
  set textContent(v) { this.replaceChildren(new FakeText(String(v))); }
}

class FakeText extends FakeNode {
  constructor(data) { super(3); this.data = data; }
  get textContent() { return this.data; }
}

class FakeElement extends FakeNode {
  constructor(tag) {
    super(1);
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.style = {};
    this.listeners = {};
  }

  setAttribute(k, v) { this.attributes.set(k, String(v)); }
  getAttribute(k) { return this.attributes.has(k) ? this.attributes.get(k) : null; }
  addEventListener(type, f) { (this.listeners[type] ??= []).push(f); }
  /** Calls the listeners of `type` with `event`. */
  dispatch(type, event = {}) { for (const f of this.listeners[type] ?? []) f(event); }
}

export const fakeDocument = {
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (s) => new FakeText(String(s)),
  createDocumentFragment: () => new FakeNode(11),
};

/** Makes `fakeDocument` the global `document` (node has none). */
export function installFakeDocument() {
  globalThis.document ??= fakeDocument;
}

const escText = (s) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
const escAttr = (s) => s.replace(/[&"]/g, (c) => ({ '&': '&amp;', '"': '&quot;' })[c]);
const cssName = (k) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** `node` as HTML, serialised as the browser's outerHTML would (styles from the style object). */
export function html(node) {
  if (node.nodeType === 3) return escText(node.data);
  const inner = node.childNodes.map(html).join('');
  if (node.nodeType !== 1) return inner;
  const tag = node.tagName.toLowerCase();
  const attrs = [...node.attributes].map(([k, v]) => ` ${k}="${escAttr(v)}"`);
  const style = Object.entries(node.style).map(([k, v]) => `${cssName(k)}: ${v};`).join(' ');
  if (style) attrs.push(` style="${escAttr(style)}"`);
  const empty = ['br', 'input', 'img'].includes(tag);
  return `<${tag}${attrs.join('')}>${empty ? '' : `${inner}</${tag}>`}`;
}

/** Every element under `node` (not `node` itself), in document order. */
export function elements(node) {
  return node.childNodes.flatMap((c) => (c.nodeType === 1 ? [c, ...elements(c)] : []));
}
