// Reading what the page hands over by its own properties only. A page whose
// Object.prototype was polluted (Object.prototype.portal = "...") changes
// nothing the shim or the budget reads: every file reads options, auth
// objects, answers and messages through these, and builds what the module
// reads as null-prototype objects.

const hasOwn = Object.hasOwn;

/**
 * o's own property name (a getter's value included), or undefined: never an
 * inherited one.
 * @param {unknown} o
 * @param {string | number} name
 * @returns {unknown}
 */
export function own(o, name) {
  return (typeof o === 'object' || typeof o === 'function') && o !== null && hasOwn(o, name)
    ? /** @type {Record<string | number, unknown>} */ (o)[name]
    : undefined;
}

/**
 * The value of an own data property of obj, or undefined: never a getter's,
 * so reading a message (a structured clone, or a page's object) runs no code.
 * @param {unknown} obj
 * @param {string} name
 * @returns {unknown}
 */
export function ownValue(obj, name) {
  if (obj === null || typeof obj !== 'object') return undefined;
  const d = Object.getOwnPropertyDescriptor(obj, name);
  return d !== undefined && hasOwn(d, 'value') ? d.value : undefined;
}

/**
 * A null-prototype copy of o's own enumerable properties (each read once);
 * an empty one when o is not an object.
 * @param {unknown} o
 * @returns {Record<string, unknown>}
 */
export function ownCopy(o) {
  /** @type {Record<string, unknown>} */
  const out = Object.create(null);
  if ((typeof o === 'object' || typeof o === 'function') && o !== null) {
    for (const key of Object.keys(o)) out[key] = /** @type {Record<string, unknown>} */ (o)[key];
  }
  return out;
}

/**
 * fields on a null-prototype object: what the module reads through Go's Get
 * never sees a polluted Object.prototype.
 * @template {object} T
 * @param {T} fields
 * @returns {T}
 */
export function nullObject(fields) {
  return Object.assign(Object.create(null), fields);
}
