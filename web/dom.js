// Building the page's elements with DOM APIs, never from HTML strings. In: a
// tag, its attributes and its children (text, numbers, elements, arrays of
// them). Out: the element. Text always becomes a text node, so an area,
// ward or borough name, a column label or methodology text holding "<img …>"
// or "&amp;" shows exactly as written and can inject nothing. Works on any
// `document` (the page's, or a small fake one in node's tests).

/** True for a plain `{name: value}` object (an attribute map), not a node, array or text. */
const isAttrs = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && !('nodeType' in x);

/** `children` flattened to nodes: text and numbers become text nodes; null, undefined, false and true are dropped. */
export function nodes(...children) {
  const out = [];
  const add = (c) => {
    if (c === null || c === undefined || c === false || c === true) return;
    if (Array.isArray(c)) c.forEach(add);
    else if (typeof c === 'object' && 'nodeType' in c) out.push(c);
    else out.push(document.createTextNode(String(c)));
  };
  children.forEach(add);
  return out;
}

/**
 * An element `tag` with `attrs` and `children`. An attribute set to null,
 * undefined or false is left out and `true` gives an empty (boolean)
 * attribute; `style` takes an object of CSS properties; a function under
 * an `on…` name is an event listener (`onclick` listens for "click").
 * Everything else is set with setAttribute, as the HTML parser would.
 * `attrs` may be left out: `h('li', 'text')`.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (!isAttrs(attrs)) children.unshift(attrs);
  else {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'style') Object.assign(el.style, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  el.append(...nodes(...children));
  return el;
}

/** A document fragment holding `children`: a section of several sibling elements. */
export function frag(...children) {
  const f = document.createDocumentFragment();
  f.append(...nodes(...children));
  return f;
}

/** Replaces everything inside `el` with `children`; returns `el`. */
export function replace(el, ...children) {
  el.replaceChildren(...nodes(...children));
  return el;
}

/**
 * `s` with HTML's special characters escaped, for the one API that takes
 * markup rather than nodes: MapLibre's `customAttribution`. The page
 * itself never builds HTML.
 */
export const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
