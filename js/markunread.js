// markunread: loads the Go/wasm module into an app page and hands back a
// client. The bridge between this shim and the module is specified in
// wasm/browser/doc.go; keep the two in step.
import './wasm_exec.js'; // defines globalThis.Go; copied beside this file from the Go toolchain
import { resolveAuth, portalBase } from './auth.js';

const READY_TIMEOUT_MS = 20_000;

const DEFAULTS = {
  limits: { perSecond: 2, burst: 50 },
  batch: true,
  timeoutMs: 120_000,
  queueSize: 10_000,
  maxAttempts: 6,
};

const KNOWN_OPTIONS = new Set(['wasmUrl', 'auth', 'portal', 'limits', 'batch', 'timeoutMs', 'queueSize', 'maxAttempts', 'fetch']);

/** A call that did not succeed: `code` is the server's error code or the module's own. */
export class MarkUnreadError extends Error {
  /**
   * @param {string} code
   * @param {string} description
   * @param {number} [status] HTTP status; 0 or absent when there was none
   * @param {number} [attempts] requests made for this call; 0 or absent when none
   * @param {ErrorOptions} [options]
   */
  constructor(code, description, status, attempts, options) {
    super(`${code}: ${description}`, options);
    this.name = 'MarkUnreadError';
    this.code = code;
    this.description = description;
    this.status = status ? status : undefined;
    this.attempts = attempts ? attempts : undefined;
  }
}

/** What load() resolves to. Dispatches `progress` (a CustomEvent, detail = the settled call) after each call. */
export class MarkUnreadClient extends EventTarget {
  #api;
  #stopped;

  /** @internal load() builds clients; the constructor is not public API. */
  constructor(api, stopped) {
    super();
    this.#api = api;
    this.#stopped = stopped;
  }

  /**
   * Marks messageId and every later message of dialogId as unread. Resolves
   * true; rejects with a MarkUnreadError. The arguments go to the module as
   * given: it validates them with the server's rules and codes.
   * @param {string|number} dialogId
   * @param {number|string} messageId
   * @param {{signal?: AbortSignal}} [options]
   */
  async markUnread(dialogId, messageId, options) {
    if (options != null && typeof options !== 'object') {
      throw new TypeError('markunread: the third argument of markUnread must be an object like {signal}');
    }
    const signal = options?.signal;
    if (signal != null && !isAbortSignal(signal)) {
      throw new TypeError('markunread: options.signal must be an AbortSignal');
    }
    if (signal?.aborted) {
      throw new MarkUnreadError('ABORTED', abortDescription(signal));
    }
    const stop = this.#stopped();
    if (stop.error) throw stop.error;
    let call;
    try {
      call = this.#api.markUnread(dialogId, messageId, signal ?? undefined);
    } catch (cause) {
      // The contract says api.markUnread never throws; if it does, the module is
      // broken (a trap, or the Go program is gone) and stays broken.
      throw stop.fail(cause);
    }
    try {
      return await Promise.race([call, stop.promise]);
    } catch (err) {
      if (err instanceof MarkUnreadError) throw err;
      throw new MarkUnreadError('INTERNAL_ERROR', `unexpected rejection from the module: ${describe(err)}`, 0, 0, { cause: err });
    }
  }

  /**
   * Counters since load(): requests, batches, commands, retries, refreshes,
   * queued, inFlight, status503, status429, settled, succeeded, failed.
   * Throws a MarkUnreadError (INTERNAL_ERROR) once the module has stopped.
   */
  stats() {
    const stop = this.#stopped();
    if (stop.error) throw stop.error;
    try {
      return this.#api.stats();
    } catch (cause) {
      throw stop.fail(cause);
    }
  }
}

/**
 * Instantiates the module and resolves to a client once it is ready.
 * @param {object} [options] see markunread.d.ts
 * @returns {Promise<MarkUnreadClient>}
 */
export async function load(options) {
  const opts = validateOptions(options);
  const env = globalThis;
  // options.portal reaches the module as options.portal, which overrides
  // the portal the auth source names.
  const auth = resolveAuth(opts.auth, env);
  if (typeof env.Go !== 'function') {
    throw new Error('markunread: wasm_exec.js did not define Go; serve it beside markunread.js');
  }
  const go = new env.Go();
  const instance = await instantiate(opts.wasmUrl, go.importObject);

  const stopState = { error: null };
  const stopped = () => ({
    error: stopState.error,
    promise: stopState.promise,
    fail(cause) {
      stopState.error ??= new MarkUnreadError('INTERNAL_ERROR', `the markunread module failed: ${describe(cause)}`, 0, 0, { cause });
      return stopState.error;
    },
  });

  let client = null;
  let ready, notReady;
  const readyPromise = new Promise((resolve, reject) => { ready = resolve; notReady = reject; });
  const bridge = {
    options: {
      ...(opts.portal ? { portal: opts.portal } : {}),
      perSecond: opts.limits.perSecond,
      burst: opts.limits.burst,
      batch: opts.batch,
      timeoutMs: opts.timeoutMs,
      queueSize: opts.queueSize,
      maxAttempts: opts.maxAttempts,
      pageSecure: env.location?.protocol === 'https:',
    },
    fetch: opts.fetch,
    auth: auth ?? null,
    newError: (code, description, status, attempts) => new MarkUnreadError(String(code), String(description), status, attempts),
    onSettle: (progress) => client?.dispatchEvent(new CustomEvent('progress', { detail: progress })),
    ready: (api) => ready(api),
  };

  const key = `__markunread_${randomHex()}`;
  env[key] = bridge;
  go.env = { MARKUNREAD_BRIDGE: key };
  go.argv = ['markunread'];
  // go.run settles only when the Go program exits, which it must never do;
  // from then on every pending and later call rejects instead of hanging.
  stopState.promise = go.run(instance).then(
    () => { throw stopped().fail(new Error('the Go program exited')); },
    (cause) => { throw stopped().fail(cause); },
  );
  stopState.promise.catch(notReady);

  let timer;
  try {
    const api = await Promise.race([
      readyPromise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`markunread: the module did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      }),
    ]);
    if (!api || typeof api.markUnread !== 'function' || typeof api.stats !== 'function') {
      throw new Error('markunread: the module is not the version this shim expects (ready gave no markUnread/stats)');
    }
    client = new MarkUnreadClient(api, stopped);
    return client;
  } catch (err) {
    throw err instanceof MarkUnreadError
      ? new Error(`markunread: the module stopped while starting: ${err.description}`, { cause: err })
      : err;
  } finally {
    clearTimeout(timer);
    delete env[key];
  }
}

async function instantiate(wasmUrl, importObject) {
  const url = String(wasmUrl);
  let response;
  try {
    response = await globalThis.fetch(url);
  } catch (cause) {
    throw new Error(`markunread: cannot fetch ${url}: ${describe(cause)}`, { cause });
  }
  if (!response.ok) {
    throw new Error(`markunread: cannot fetch ${url}: HTTP ${response.status}`);
  }
  const type = (response.headers.get('content-type') ?? '').trim().toLowerCase();
  try {
    // Streaming compiles while the bytes arrive, but browsers allow it only
    // for application/wasm; decide up front so the body is read exactly once.
    if (type === 'application/wasm' && typeof WebAssembly.instantiateStreaming === 'function') {
      return (await WebAssembly.instantiateStreaming(response, importObject)).instance;
    }
    if (type !== 'application/wasm') {
      console.warn(`markunread: ${url} is served as "${type || 'no Content-Type'}"; serve .wasm files as application/wasm so the browser can compile while downloading`);
    }
    return (await WebAssembly.instantiate(await response.arrayBuffer(), importObject)).instance;
  } catch (cause) {
    throw new Error(`markunread: cannot instantiate ${url}: ${describe(cause)}`, { cause });
  }
}

// Fills defaults and throws a TypeError for values the module cannot use.
function validateOptions(options) {
  if (options == null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('markunread: load(options): options must be an object');
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`markunread: unknown option "${name}"`);
  }
  const out = { auth: options.auth };

  const wasmUrl = options.wasmUrl ?? new URL('./markunread.wasm', import.meta.url);
  if (typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL)) {
    throw new TypeError('markunread: options.wasmUrl must be a string or a URL');
  }
  out.wasmUrl = wasmUrl;

  if (options.portal != null) {
    if (typeof options.portal !== 'string' && !(options.portal instanceof URL)) {
      throw new TypeError('markunread: options.portal must be a URL string such as "https://example.bitrix24.com"');
    }
    const text = String(options.portal);
    if (!/^https?:\/\//i.test(text)) {
      throw new TypeError(`markunread: options.portal must start with https:// (or http:// for loopback), got "${text}"`);
    }
    out.portal = portalBase(text);
  }

  const limits = options.limits ?? {};
  if (typeof limits !== 'object') throw new TypeError('markunread: options.limits must be an object {perSecond, burst}');
  for (const name of Object.keys(limits)) {
    if (name !== 'perSecond' && name !== 'burst') throw new TypeError(`markunread: unknown option "limits.${name}"`);
  }
  out.limits = {
    perSecond: positive(limits.perSecond ?? DEFAULTS.limits.perSecond, 'limits.perSecond', false),
    burst: positive(limits.burst ?? DEFAULTS.limits.burst, 'limits.burst', true),
  };

  out.batch = options.batch ?? DEFAULTS.batch;
  if (typeof out.batch !== 'boolean') throw new TypeError('markunread: options.batch must be true or false');

  out.timeoutMs = positive(options.timeoutMs ?? DEFAULTS.timeoutMs, 'timeoutMs', false);
  out.queueSize = positive(options.queueSize ?? DEFAULTS.queueSize, 'queueSize', true);
  out.maxAttempts = positive(options.maxAttempts ?? DEFAULTS.maxAttempts, 'maxAttempts', true);

  if (options.fetch != null && typeof options.fetch !== 'function') {
    throw new TypeError('markunread: options.fetch must be a function like window.fetch');
  }
  if (options.fetch == null && typeof globalThis.fetch !== 'function') {
    throw new TypeError('markunread: this environment has no fetch; pass options.fetch');
  }
  out.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  return out;
}

function positive(value, name, integer) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new TypeError(`markunread: options.${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

function isAbortSignal(value) {
  return typeof AbortSignal === 'function' ? value instanceof AbortSignal : typeof value.aborted === 'boolean';
}

function abortDescription(signal) {
  const reason = signal.reason;
  return reason === undefined ? 'the call was aborted' : `the call was aborted: ${describe(reason)}`;
}

function describe(value) {
  return value instanceof Error ? value.message : String(value);
}

function randomHex() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
