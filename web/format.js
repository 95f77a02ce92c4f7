// Number and text formatting for the web map. In: a value and its field
// from /api/meta `fields` ({name, label, kind, unit, decimals, description,
// higher}). Out: the string the page shows. The field's kind and unit decide
// the format (a proportion as a percentage, a percentage with "%", a
// head-count as a whole number with separators), never the field's name. No
// DOM here, so node can import this file in tests.

/** What the page shows for a value that is missing. */
export const DASH = '–';

/** True for a finite number (null, undefined, NaN and text are not). */
export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

const PROPORTION = 'proportion 0–1';

/** True when the field holds a proportion 0–1 (shown as a percentage). */
export function isProportion(field) {
  return field?.kind === 'share' || field?.unit === PROPORTION;
}

/** True when the field holds a percentage 0–100. */
export function isPercent(field) {
  return field?.unit === 'percent';
}

/** Decimal places shown by default: fewer than kept, enough to read. */
export function defaultDigits(field) {
  const kept = Number.isInteger(field?.decimals) ? field.decimals : 4;
  if (isProportion(field)) return Math.max(0, Math.min(1, kept - 2));
  if (isPercent(field)) return Math.min(1, kept);
  switch (field?.kind) {
    case 'count': case 'rank': return 0;
    default: return Math.min(2, kept);
  }
}

/**
 * `v` as the page shows it for `field`, with `digits` decimal places
 * (default: defaultDigits); DASH when there is no value.
 */
export function formatValue(field, v, digits) {
  if (field?.kind === 'flag') return v === null || v === undefined ? DASH : v && v !== 'false' ? 'Yes' : 'No';
  if (field?.kind === 'text' || field?.kind === 'category') return v === null || v === undefined || v === '' ? DASH : String(v);
  const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (!isNum(x)) return DASH;
  const d = digits ?? defaultDigits(field);
  if (isProportion(field)) return fixed(x * 100, d) + '%';
  if (isPercent(field)) return fixed(x, d) + '%';
  if (field?.kind === 'count' || field?.kind === 'rank' || (d === 0 && Math.abs(x) >= 1000)) {
    return Number(fixed(x, d)).toLocaleString('en-GB', { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  return fixed(x, d);
}

/** toFixed without "-0.0". */
function fixed(x, d) {
  const s = x.toFixed(d);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** The unit in words for a legend ("per cent", "people", "score 0–10"), or "". */
export function unitText(field) {
  if (isProportion(field) || isPercent(field)) return 'per cent';
  if (field?.unit === 'count' || field?.kind === 'count') return 'people';
  return field?.unit ?? '';
}

/**
 * Decimal places at which consecutive `edges` (ascending) read as distinct
 * numbers, from the field's default up to three more: a legend never says
 * "0% to 0%" when the values differ.
 */
export function distinctDigits(field, edges) {
  const d0 = defaultDigits(field);
  if (field?.kind === 'count' || field?.kind === 'rank') return d0;
  for (let d = d0; d <= d0 + 3; d++) {
    let ok = true;
    for (let i = 1; i < edges.length; i++) {
      if (edges[i] > edges[i - 1] && formatValue(field, edges[i], d) === formatValue(field, edges[i - 1], d)) { ok = false; break; }
    }
    if (ok) return d;
  }
  return d0 + 3;
}

/** The smallest "round" number ≥ x (1, 1.5, 2, 2.5 … times a power of ten); 1 for x ≤ 0. */
export function niceCeil(x) {
  if (!isNum(x) || x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return (Math.ceil((x / p) * 2 - 1e-9) / 2) * p;
}

/** Labels of indicator ids, joined for reading ("A, B and C"). */
export function listText(items) {
  const xs = items.filter((x) => x !== null && x !== undefined && x !== '');
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/**
 * Why an area has no value, in words: from its index status and missing
 * inputs (ids, `;`-joined as /api/scores and /api/areas give them), with
 * indicator labels from `labelOf`. "" when the area has an index.
 */
export function missingText(status, missingInputs, labelOf = (id) => id) {
  const ids = typeof missingInputs === 'string' ? missingInputs.split(';').filter(Boolean) : missingInputs ?? [];
  const names = listText(ids.map((id) => labelOf(id) ?? id));
  if (status === 'insufficient_data') return `Insufficient data${names ? `: no value for ${names}` : ''}`;
  if (status === 'out_of_scope') return 'Outside the scope scored';
  return '';
}

/** A plain number to `d` places, DASH when missing (weights, ranks, scores in tables). */
export const fmt = (v, d = 2) => (isNum(v) ? fixed(v, d) : DASH);

/** A proportion 0–1 as a percentage to one place, DASH when missing. */
export const pct = (v) => (isNum(v) ? fixed(v * 100, 1) + '%' : DASH);
