// Auth sources for the markunread module, normalized to the bridge's
// interface (wasm/browser/doc.go):
//
//   {token(): Promise<Credentials>, refresh?(): Promise<Credentials>}
//   Credentials: {portal, accessToken, expiresIn?} (expiresIn: seconds)
//
// Detection order (resolveAuth):
//   1. options.auth, given explicitly, one of:
//      a. a plain object {domain, accessToken, refresh?}: domain is "host[:port]"
//         (https is assumed) or a full "https://..." URL; refresh() returns a
//         Promise of {accessToken}. Without it the source has no refresh,
//         and a refused token fails calls with the server's own code.
//      b. a BX24-like object (has getAuth and refreshAuth): the classic library.
//      c. an @bitrix24/b24jssdk B24Frame (initialized), or its `auth` manager
//         (has getAuthData and refreshAuth).
//   2. a global BX24 on the page (window.BX24), used as in 1b after BX24.init.
//   3. inside a portal iframe (window.parent !== window and window.name is
//      "DOMAIN|PROTOCOL|APP_SID"): the module's own client of the portal's
//      postMessage protocol (getInitData, refreshAuth); no third-party script.
//   4. none: null, and every call rejects with NO_AUTH.
//
// Policy is the module's, not this file's: it asks for one refresh at a time
// (a refresh token is single use, so two racing refreshes can log the page
// out), bounds it (10 s), and refreshes a token before it expires. This file
// only speaks each source's protocol. Its own time bound (30 s) only cleans
// up a request the page never answers, after the module has given up on it.
// Tokens are never logged and never put in URLs.
//
// Everything the page hands over (options, auth objects, getAuth() results,
// postMessage answers) is read through its own properties only, copied once
// into null-prototype objects: a page whose Object.prototype was polluted
// (Object.prototype.DOMAIN = "attacker.example") changes nothing here.

import { own, ownCopy } from './own.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/** @typedef {import('./markunread.js').Credentials} Credentials */
/** Without refresh, a refused token fails calls. @typedef {{token(): Promise<Credentials>, refresh?(): Promise<Credentials>}} TokenSource */
/**
 * The page's globals (a window, or a stand-in); BX24, name and parent are read as own properties.
 * @typedef {{addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void,
 *   removeEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void}} PageGlobals
 */
/** @typedef {PageGlobals & {parent: {postMessage(message: string, targetOrigin: string): void}}} FrameGlobals */
/** @typedef {{domain: string, secure: boolean, appSid: string, origin: string}} FrameName */
/** A page's function, called with .call. @typedef {(this: unknown, ...args: unknown[]) => unknown} PageFunction */

/**
 * @param {unknown} auth options.auth, or undefined to detect one on the page
 * @param {PageGlobals} [env] window-like globals (BX24, parent, name, addEventListener...)
 * @param {{timeoutMs?: number, onSecret?: (secret: string) => void}} [opts] timeoutMs: clean-up bound on
 *   every request to the page or the portal; onSecret hears every token a source hands over, for redaction
 * @returns {TokenSource | null}
 */
export function resolveAuth(auth, env = globalThis, { timeoutMs = DEFAULT_TIMEOUT_MS, onSecret = () => {} } = {}) {
  if (auth != null) {
    if (typeof auth !== 'object' && typeof auth !== 'function') {
      throw new TypeError('markunread: options.auth must be an object');
    }
    if (isBX24(auth)) return fromBX24(auth, env, timeoutMs, onSecret);
    const manager = b24jssdkAuthManager(auth);
    if (manager) return fromB24Frame(manager, timeoutMs, onSecret);
    return fromPlainObject(auth, timeoutMs, onSecret);
  }
  const bx24 = own(env, 'BX24');
  if (isBX24(bx24)) return fromBX24(bx24, env, timeoutMs, onSecret);
  const frame = parseFrameName(env);
  if (frame) return fromParentWindow(frame, /** @type {FrameGlobals} */ (env), timeoutMs, onSecret);
  return null;
}

const hasOwn = Object.hasOwn;
const getPrototypeOf = Object.getPrototypeOf;
const builtinPrototypes = new Set([Object.prototype, Function.prototype]);

// A member of an auth object that may live on its class's prototype (a
// B24Frame's methods do), but never one that only Object.prototype or
// Function.prototype supplies.
/** @param {unknown} o @param {string} name @returns {unknown} */
function member(o, name) {
  for (let p = o; (typeof p === 'object' || typeof p === 'function') && p !== null && !builtinPrototypes.has(p); p = getPrototypeOf(p)) {
    if (hasOwn(p, name)) return /** @type {Record<string, unknown>} */ (o)[name]; // p is o or a prototype of it
  }
  return undefined;
}

/** @param {unknown} o @param {string} name @returns {PageFunction | undefined} */
function method(o, name) {
  const f = member(o, name);
  return typeof f === 'function' ? /** @type {PageFunction} */ (f) : undefined;
}

/** @param {unknown} o */
function isBX24(o) {
  return Boolean(method(o, 'getAuth') && method(o, 'refreshAuth'));
}

/**
 * The portal's base URL for a domain as the auth sources give it: a bare
 * "host[:port]" (https unless `secure` is false) or a full http(s) URL.
 * @param {unknown} domain
 * @param {boolean} [secure]
 */
export function portalBase(domain, secure = true) {
  if (typeof domain !== 'string' || domain.trim() === '') {
    throw new TypeError('markunread: the portal domain is empty');
  }
  const text = domain.trim();
  const url = new URL(/^https?:\/\//i.test(text) ? text : `${secure ? 'https' : 'http'}://${text}`);
  if (url.username || url.password) {
    throw new TypeError('markunread: the portal URL must not carry credentials');
  }
  return url.origin;
}

// a: {domain, accessToken, refresh?}
/** @param {object} auth @param {number} timeoutMs @param {(secret: string) => void} onSecret @returns {TokenSource} */
function fromPlainObject(auth, timeoutMs, onSecret) {
  const given = ownCopy(auth);
  if (typeof given.accessToken !== 'string' || given.accessToken === '') {
    throw new TypeError('markunread: options.auth.accessToken must be a non-empty string '
      + '(or pass a BX24 object or an initialized B24Frame)');
  }
  if (given.refresh !== undefined && typeof given.refresh !== 'function') {
    throw new TypeError('markunread: options.auth.refresh must be a function');
  }
  const refresh = /** @type {PageFunction | undefined} */ (given.refresh);
  const portal = portalBase(given.domain);
  let accessToken = given.accessToken;
  onSecret(accessToken);
  const token = async () => ({ portal, accessToken });
  // Without refresh the source has none: the module then gives the server's
  // own expired_token or invalid_token instead of trying.
  if (!refresh) return source({ token });
  return source({
    token,
    refresh: async () => {
      const fresh = ownCopy(await withTimeout(Promise.resolve().then(() => refresh.call(auth)), timeoutMs, 'options.auth.refresh()'));
      if (typeof fresh.accessToken !== 'string' || fresh.accessToken === '') {
        throw new Error('markunread: options.auth.refresh() did not give an accessToken');
      }
      accessToken = fresh.accessToken;
      onSecret(accessToken);
      return { portal, accessToken };
    },
  });
}

// b: the classic library. getAuth() is false before init and once expired;
// its domain is a bare host, so the protocol comes from window.name when the
// page is the portal's iframe, and is https otherwise.
/** @param {unknown} bx24 @param {PageGlobals} env @param {number} timeoutMs @param {(secret: string) => void} onSecret */
function fromBX24(bx24, env, timeoutMs, onSecret) {
  /** @type {Promise<unknown> | undefined} */ let initialized;
  const init = method(bx24, 'init');
  // isBX24 found both just before.
  const getAuth = /** @type {PageFunction} */ (method(bx24, 'getAuth'));
  const refreshAuth = /** @type {PageFunction} */ (method(bx24, 'refreshAuth'));
  const ready = () => initialized ??= init
    ? withTimeout(new Promise((resolve) => init.call(bx24, resolve)), timeoutMs, 'BX24.init')
    : Promise.resolve();
  /** @param {unknown} answer @returns {Credentials | null} */
  const credentials = (answer) => {
    const data = ownCopy(answer);
    secrets(data, ['access_token', 'refresh_token'], onSecret);
    if (typeof data.access_token !== 'string' || data.access_token === '') return null;
    const frame = parseFrameName(env);
    const secure = frame && sameHost(frame.domain, data.domain) ? frame.secure : true;
    return { portal: portalBase(String(data.domain ?? frame?.domain ?? ''), secure), accessToken: data.access_token, expiresIn: seconds(data.expires_in) };
  };
  /** @type {Required<TokenSource>} */
  const src = source({
    refresh: async () => {
      await ready();
      const data = await withTimeout(/** @type {Promise<unknown>} */ (new Promise((resolve) => refreshAuth.call(bx24, resolve))), timeoutMs, 'BX24.refreshAuth');
      const fresh = credentials(data) ?? credentials(getAuth.call(bx24));
      if (!fresh) throw new Error('markunread: BX24.refreshAuth gave no access token');
      return fresh;
    },
    token: async () => {
      await ready();
      return credentials(getAuth.call(bx24)) ?? src.refresh();
    },
  });
  return src;
}

// c: a B24Frame's `auth` getter throws until init() has run; accept the
// manager itself too.
/** @param {object} auth */
function b24jssdkAuthManager(auth) {
  if (isAuthManager(auth)) return auth;
  let manager;
  try {
    manager = member(auth, 'auth');
  } catch (cause) {
    throw new TypeError('markunread: options.auth looks like a B24Frame that is not initialized; '
      + 'pass the result of `await initializeB24Frame()`', { cause });
  }
  return isAuthManager(manager) ? manager : null;
}

/** @param {unknown} o @returns {o is object} */
function isAuthManager(o) {
  return Boolean(method(o, 'getAuthData') && method(o, 'refreshAuth'));
}

// getAuthData().domain is the full origin ("https://name.bitrix24.com") in
// b24jssdk 2.x; getTargetOrigin() gives the same where domain is bare.
/** @param {object} manager @param {number} timeoutMs @param {(secret: string) => void} onSecret */
function fromB24Frame(manager, timeoutMs, onSecret) {
  // isAuthManager found these two just before.
  const getAuthData = /** @type {PageFunction} */ (method(manager, 'getAuthData'));
  const refreshAuth = /** @type {PageFunction} */ (method(manager, 'refreshAuth'));
  const getTargetOrigin = method(manager, 'getTargetOrigin');
  /** @param {unknown} answer @returns {Credentials | null} */
  const credentials = (answer) => {
    const data = ownCopy(answer);
    secrets(data, ['access_token', 'refresh_token'], onSecret);
    if (typeof data.access_token !== 'string' || data.access_token === '') return null;
    const domain = String(data.domain ?? '');
    const portal = portalBase(!/^https?:\/\//i.test(domain) && getTargetOrigin ? getTargetOrigin.call(manager) : domain);
    return { portal, accessToken: data.access_token, expiresIn: seconds(data.expires_in) };
  };
  /** @type {Required<TokenSource>} */
  const src = source({
    refresh: async () => {
      const data = await withTimeout(Promise.resolve().then(() => refreshAuth.call(manager)), timeoutMs, 'B24Frame auth.refreshAuth()');
      const fresh = credentials(data) ?? credentials(getAuthData.call(manager));
      if (!fresh) throw new Error('markunread: B24Frame auth.refreshAuth() gave no access token');
      return fresh;
    },
    token: async () => credentials(getAuthData.call(manager)) ?? src.refresh(),
  });
  return src;
}

/** @param {Record<string, unknown>} data @param {string[]} names @param {(secret: string) => void} onSecret */
function secrets(data, names, onSecret) {
  for (const name of names) {
    const value = data[name];
    if (typeof value === 'string' && value !== '') onSecret(value);
  }
}

// window.name inside a portal iframe is "DOMAIN|PROTOCOL|APP_SID". The
// portal's origin is normalised once by the URL parser, as event.origin is
// (lower case, IDN as punycode, no default port), and compared as is.
/** @param {unknown} env @returns {FrameName | null} */
function parseFrameName(env) {
  const parent = own(env, 'parent');
  const name = own(env, 'name');
  if (!parent || parent === env || typeof name !== 'string') return null;
  const m = /^([^|:\s/?#@\\]+(?::\d+)?)\|([01])\|([^|:\s]+)$/.exec(name);
  if (!m) return null;
  const secure = m[2] === '1';
  let url;
  try {
    url = new URL(`${secure ? 'https' : 'http'}://${m[1]}`);
  } catch {
    return null;
  }
  return { domain: url.host, secure, appSid: m[3], origin: url.origin };
}

/** @param {unknown} a @param {unknown} b */
function sameHost(a, b) {
  const host = (/** @type {unknown} */ s) => {
    const text = String(s ?? '').trim();
    try {
      return new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`).host.replace(/:(80|443)$/, '');
    } catch {
      return text.toLowerCase();
    }
  };
  return host(a) === host(b);
}

// The portal's postMessage protocol, in the format @bitrix24/b24jssdk's
// MessageManager uses: "<command>[:<params>]:<callbackKey>:<APP_SID>" to the
// parent with the portal's origin as targetOrigin; the answer is
// "<callbackKey>:<JSON>". An answer counts only from the parent window, from
// the portal's exact origin, and for a key we are still waiting on: keys are
// random and single use, so another frame cannot forge or replay an answer.
/** @param {FrameName} frame @param {FrameGlobals} env @param {number} timeoutMs @param {(secret: string) => void} onSecret */
function fromParentWindow(frame, env, timeoutMs, onSecret) {
  /** @typedef {{resolve: (data: Record<string, unknown>) => void, reject: (err: unknown) => void, timer: number, command: string}} Waiter */
  /** @type {Map<string, Waiter>} */
  const pending = new Map();
  /** @param {MessageEvent<unknown>} event */
  const onMessage = (event) => {
    if (event.origin !== frame.origin || event.source !== env.parent || typeof event.data !== 'string') return;
    const colon = event.data.indexOf(':');
    if (colon <= 0) return;
    const waiter = pending.get(event.data.slice(0, colon));
    if (!waiter) return;
    settle(event.data.slice(0, colon));
    try {
      waiter.resolve(ownCopy(JSON.parse(event.data.slice(colon + 1))));
    } catch {
      waiter.reject(new Error(`markunread: the portal answered ${waiter.command} with invalid JSON`));
    }
  };
  /** @param {string} key one still pending */
  const settle = (key) => {
    clearTimeout(/** @type {Waiter} */ (pending.get(key)).timer);
    pending.delete(key);
    if (pending.size === 0) env.removeEventListener('message', onMessage);
  };
  /** @param {string} command @returns {Promise<Record<string, unknown>>} */
  const send = (command) => new Promise((resolve, reject) => {
    const key = randomKey();
    if (pending.size === 0) env.addEventListener('message', onMessage);
    const timer = setTimeout(() => {
      settle(key);
      reject(new Error(`markunread: the portal did not answer ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(key, { resolve, reject, timer, command });
    try {
      env.parent.postMessage(`${command}:${key}:${frame.appSid}`, frame.origin);
    } catch (err) {
      settle(key);
      reject(err);
    }
  });

  let current = /** @type {Credentials | null} */ (null);
  let init = /** @type {Promise<Credentials> | null} */ (null);
  /** @param {Record<string, unknown>} data @param {string} command @returns {Credentials} */
  const accept = (data, command) => {
    secrets(data, ['AUTH_ID', 'REFRESH_ID'], onSecret);
    if (typeof data.AUTH_ID !== 'string' || data.AUTH_ID === '') {
      throw new Error(`markunread: the portal's ${command} answer has no AUTH_ID`);
    }
    let portal = current?.portal ?? frame.origin;
    if (typeof data.DOMAIN === 'string' && data.DOMAIN !== '') {
      portal = portalBase(data.DOMAIN, data.PROTOCOL === undefined ? frame.secure : String(data.PROTOCOL) === '1');
    }
    current = { portal, accessToken: data.AUTH_ID, expiresIn: seconds(data.AUTH_EXPIRES) };
    return { ...current };
  };
  /** @type {Required<TokenSource>} */
  const src = source({
    refresh: async () => {
      if (!current) await src.token();
      return accept(await send('refreshAuth'), 'refreshAuth');
    },
    token: async () => {
      if (!current) {
        init ??= send('getInitData').then((data) => accept(data, 'getInitData')).finally(() => { init = null; });
        return init;
      }
      return { ...current };
    },
  });
  return src;
}

// A source is a null-prototype object, so a polluted Object.prototype
// cannot lend one a refresh. One refresh at a time, the refresh's time
// bound and early refresh before expiry are the module's (wasm/unread
// session.go): this file speaks the protocols, it decides nothing.
/** @template {TokenSource} S @param {S} fields @returns {S} */
function source(fields) {
  return Object.assign(Object.create(null), fields);
}

// A token's life in seconds as a source gives it (a number or a decimal
// string), or undefined.
/** @param {unknown} value */
function seconds(value) {
  const n = typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** @template T @param {Promise<T>} promise @param {number} ms @param {string} what @returns {Promise<T>} */
function withTimeout(promise, ms, what) {
  /** @type {number | undefined} */ let timer;
  /** @type {Promise<never>} */
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`markunread: ${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** 32 random hex digits: callback keys, the bridge's key. */
export function randomKey() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
