// load()'s options: what the shim checks itself (types and names) and the
// options object the module reads. Only the options object's own properties
// count (and those of limits).
import { ownCopy, own, nullObject } from './own.js';

const KNOWN_OPTIONS = new Set(['wasmUrl', 'auth', 'portal', 'limits', 'batch', 'timeoutMs', 'queueSize',
  'bulkQueueSize', 'maxAttempts', 'fetch', 'onLog']);

// Numeric options go to the module as given: their defaults and bounds
// have one owner, the module's option list (wasm/unread/config.go Options),
// which refuses a value out of bounds by name and load() rejects with a
// TypeError. Left out, the module's default holds; limits left out are
// learned from the portal.
const NUMERIC_OPTIONS = /** @type {const} */ (['timeoutMs', 'queueSize', 'bulkQueueSize', 'maxAttempts']);

/**
 * The options once checked, defaults filled in.
 * @typedef {{
 *   auth: unknown,
 *   wasmUrl?: string | URL,
 *   portal?: string,
 *   limits: {perSecond?: number, burst?: number},
 *   batch: boolean,
 *   timeoutMs?: number, queueSize?: number, bulkQueueSize?: number, maxAttempts?: number,
 *   onLog?: (event: import('./markunread.js').MarkUnreadLogEvent) => void,
 *   fetch: (input: string, init?: RequestInit) => Promise<Response>,
 * }} CheckedOptions
 */

/**
 * Fills defaults and throws a TypeError for values the module cannot use.
 * @param {unknown} options load()'s argument
 * @returns {CheckedOptions}
 */
export function validateOptions(options) {
  if (options == null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('markunread: load(options): options must be an object');
  }
  const given = ownCopy(options);
  for (const name of Object.keys(given)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`markunread: unknown option "${name}"`);
  }
  const out = /** @type {CheckedOptions} */ (Object.create(null));
  out.auth = given.auth;

  // Left out, load() takes markunread.wasm beside the shim.
  const wasmUrl = given.wasmUrl;
  if (wasmUrl != null && typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL)) {
    throw new TypeError('markunread: options.wasmUrl must be a string or a URL');
  }
  out.wasmUrl = wasmUrl ?? undefined;

  if (given.portal != null) {
    if (typeof given.portal !== 'string' && !(given.portal instanceof URL)) {
      throw new TypeError('markunread: options.portal must be a URL string such as "https://example.bitrix24.com"');
    }
    out.portal = String(given.portal); // the module decides whether a token may go there
  }

  if (given.limits != null && (typeof given.limits !== 'object' || Array.isArray(given.limits))) {
    throw new TypeError('markunread: options.limits must be an object {perSecond, burst}');
  }
  const limits = ownCopy(given.limits);
  for (const name of Object.keys(limits)) {
    if (name !== 'perSecond' && name !== 'burst') throw new TypeError(`markunread: unknown option "limits.${name}"`);
  }
  out.limits = nullObject({
    perSecond: numeric(limits.perSecond, 'limits.perSecond'),
    burst: numeric(limits.burst, 'limits.burst'),
  });

  const batch = given.batch ?? true;
  if (typeof batch !== 'boolean') throw new TypeError('markunread: options.batch must be true or false');
  out.batch = batch;
  for (const name of NUMERIC_OPTIONS) out[name] = numeric(given[name], name);

  if (given.onLog != null && typeof given.onLog !== 'function') {
    throw new TypeError('markunread: options.onLog must be a function');
  }
  out.onLog = /** @type {CheckedOptions['onLog']} */ (given.onLog ?? undefined); // a function: checked above

  if (given.fetch != null && typeof given.fetch !== 'function') {
    throw new TypeError('markunread: options.fetch must be a function like window.fetch');
  }
  if (given.fetch == null && typeof globalThis.fetch !== 'function') {
    throw new TypeError('markunread: this environment has no fetch; pass options.fetch');
  }
  out.fetch = /** @type {CheckedOptions['fetch']} */ (given.fetch ?? globalThis.fetch.bind(globalThis)); // checked above
  return out;
}

/**
 * The options as the module reads them: only what the page gave, under the
 * names of the module's option list (wasm/unread/config.go Options).
 * @param {CheckedOptions} opts
 * @param {object} env the page's global object
 */
export function moduleOptions(opts, env) {
  /** @type {Record<string, unknown>} */
  const out = nullObject({ pageSecure: pageIsSecure(env), batch: opts.batch });
  if (opts.portal !== undefined) out.portal = opts.portal;
  if (opts.limits.perSecond !== undefined) out['limits.perSecond'] = opts.limits.perSecond;
  if (opts.limits.burst !== undefined) out['limits.burst'] = opts.limits.burst;
  for (const name of NUMERIC_OPTIONS) {
    if (opts[name] !== undefined) out[name] = opts[name];
  }
  return out;
}

/**
 * A number option as given, or undefined; its bounds are the module's.
 * @param {unknown} value
 * @param {string} name
 */
function numeric(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`markunread: options.${name} must be a number, got ${String(value)}`);
  }
  return value;
}

// "Secure page" is the page's real origin, which a srcdoc or about:blank
// frame inherits from its parent while its location says "about:". An
// opaque origin (a sandboxed frame) counts as secure when the context is.
/** @param {object} env */
function pageIsSecure(env) {
  const origin = own(env, 'origin');
  if (typeof origin === 'string' && origin !== 'null') return origin.startsWith('https:');
  return own(env, 'isSecureContext') === true;
}

/**
 * Whether a call's options.signal is an AbortSignal (a look-alike where the
 * realm has none).
 * @param {{}} value not null nor undefined
 * @returns {value is AbortSignal}
 */
export function isAbortSignal(value) {
  return typeof AbortSignal === 'function' ? value instanceof AbortSignal : typeof /** @type {{aborted?: unknown}} */ (value).aborted === 'boolean';
}
