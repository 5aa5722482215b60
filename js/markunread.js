// markunread: loads the Go/wasm module into an app page and hands back a
// client. The bridge between this shim and the module is specified in
// wasm/browser/doc.go; keep the two in step.
//
// wasm_exec.js is the Go toolchain's file, wrapped at build time in an ES
// module that runs it against a private global object (see
// js/wasm_exec.module.js): the page's global names stay exactly as they were.
import { Go, goGlobal } from './wasm_exec.js';
import { resolveAuth, ownCopy, own, randomKey } from './auth.js';
import { budgetForModule, plansForModule, startBudget } from './budget.js';

export { later } from './later.js';

// Loading bounds. A download may be slow, but one that delivers no byte for
// DOWNLOAD_STALL_MS has stalled; compiling and starting have fixed bounds.
const DOWNLOAD_STALL_MS = 10_000;
const COMPILE_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 20_000;

const KNOWN_OPTIONS = new Set(['wasmUrl', 'auth', 'portal', 'limits', 'batch', 'timeoutMs', 'queueSize',
  'bulkQueueSize', 'maxAttempts', 'fetch', 'onLog']);

// Numeric options go to the module as given: their defaults and bounds
// have one owner, the module's option list (wasm/unread/config.go Options),
// which refuses a value out of bounds by name and load() rejects with a
// TypeError. Left out, the module's default holds; limits left out are
// learned from the portal.
const NUMERIC_OPTIONS = ['timeoutMs', 'queueSize', 'bulkQueueSize', 'maxAttempts'];

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

// The clients that have had a progress listener added.
const progressHeard = new WeakSet();

/** What load() resolves to. Dispatches `progress` (a CustomEvent, detail = the settled call) after each call. */
export class MarkUnreadClient extends EventTarget {
  #api;
  #module;

  /** @internal load() builds clients; the constructor is not public API. */
  constructor(api, module) {
    super();
    this.#api = api;
    this.#module = module;
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
    const signal = own(options, 'signal');
    if (signal != null && !isAbortSignal(signal)) {
      throw new TypeError('markunread: options.signal must be an AbortSignal');
    }
    // An already aborted signal is the module's to refuse: it counts the call.
    const module = this.#module;
    if (module.error) throw module.error;
    let call;
    try {
      call = this.#api.markUnread(dialogId, messageId, signal ?? undefined);
    } catch (cause) {
      // The contract says api.markUnread never throws; if it does, the module is
      // broken (a trap, or the Go program is gone) and stays broken.
      throw module.fail(cause);
    }
    return module.track(call);
  }

  /**
   * Marks many pairs as one bulk job: its calls wait behind every markUnread
   * call, in their own queue (bulkQueueSize), so a bulk job never delays a
   * click nor makes it fail with QUEUE_FULL. Resolves, once every pair has
   * settled, to one outcome per pair, in order: {dialogId, messageId, ok}
   * and, when ok is false, error (a MarkUnreadError). A close() during the
   * job settles the pairs not yet done with CLIENT_CLOSED (the outcomes say
   * which were marked before); it rejects only when the module itself
   * fails, or when called on a closed client.
   * @param {Array<[string|number, number|string] | {dialogId: string|number, messageId: number|string}>} pairs
   * @param {{signal?: AbortSignal, onProgress?: (p: {done: number, total: number, succeeded: number, failed: number}) => void}} [options]
   */
  async markMany(pairs, options) {
    if (!Array.isArray(pairs)) {
      throw new TypeError('markunread: markMany(pairs): pairs must be an array of [dialogId, messageId] or {dialogId, messageId}');
    }
    if (options != null && typeof options !== 'object') {
      throw new TypeError('markunread: the second argument of markMany must be an object like {signal, onProgress}');
    }
    const signal = own(options, 'signal');
    if (signal != null && !isAbortSignal(signal)) {
      throw new TypeError('markunread: options.signal must be an AbortSignal');
    }
    const onProgress = own(options, 'onProgress');
    if (onProgress != null && typeof onProgress !== 'function') {
      throw new TypeError('markunread: options.onProgress must be a function');
    }
    const dialogs = new Array(pairs.length);
    const messages = new Array(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const pair = own(pairs, i);
      if (Array.isArray(pair)) {
        dialogs[i] = own(pair, 0);
        messages[i] = own(pair, 1);
      } else {
        dialogs[i] = own(pair, 'dialogId');
        messages[i] = own(pair, 'messageId');
      }
    }
    const module = this.#module;
    if (module.error) throw module.error;
    const total = pairs.length;
    let done = 0, succeeded = 0;
    const onEach = onProgress == null ? undefined : (_, ok) => {
      done++;
      if (ok) succeeded++;
      safely(() => onProgress({ done, total, succeeded, failed: done - succeeded }));
    };
    let call;
    try {
      call = this.#api.markMany(packed(dialogs) ?? dialogs, packed(messages) ?? messages, signal ?? undefined, onEach);
    } catch (cause) {
      throw module.fail(cause);
    }
    const results = await module.track(call);
    return results.map((r, i) => (r === true
      ? { dialogId: dialogs[i], messageId: messages[i], ok: true }
      : { dialogId: dialogs[i], messageId: messages[i], ok: false, error: r }));
  }

  /**
   * EventTarget's, noting a `progress` listener: until the first one, no
   * event is built for a settled call (a bulk job settles thousands).
   * @param {string} type
   * @param {EventListenerOrEventListenerObject | null} listener
   * @param {boolean | AddEventListenerOptions} [options]
   */
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (type === 'progress' && !progressHeard.has(this)) {
      progressHeard.add(this);
      if (!this.#module.error) {
        try {
          this.#api.hearProgress();
        } catch (cause) {
          this.#module.fail(cause);
        }
      }
    }
  }

  /**
   * Closes the client: calls still waiting reject with CLIENT_CLOSED, the
   * module's exported functions are released and its Go program ends; later
   * calls reject with CLIENT_CLOSED at once, and stats() keeps its last
   * figures. Resolves when the Go program has ended.
   * @returns {Promise<void>}
   */
  close() {
    return this.#module.close(this.#api);
  }

  /**
   * Counters since load(): requests, batches, commands, retries, refreshes,
   * queued, inFlight, status503, status429, settled, succeeded, failed,
   * abandoned.
   * Throws a MarkUnreadError (INTERNAL_ERROR) once the module has stopped.
   */
  stats() {
    const module = this.#module;
    if (module.finalStats) return { ...module.finalStats };
    if (module.error) throw module.error;
    try {
      return this.#api.stats();
    } catch (cause) {
      throw module.fail(cause);
    }
  }
}

// One loaded Go program's state as the shim sees it: whether it stopped,
// the rejecters of the calls still pending, and the secrets to keep out of
// every message.
class ModuleState {
  error = null;
  pending = new Set();
  finalStats = null;
  closing = null;
  exited = null; // settles when the Go program ends
  #secrets = [];

  // Once the Go program stops, every pending and later call rejects: with
  // CLIENT_CLOSED after close(), with INTERNAL_ERROR when it failed.
  fail(cause) {
    if (!this.error) {
      this.error = this.closing
        ? new MarkUnreadError('CLIENT_CLOSED', 'the client is closed')
        : new MarkUnreadError('INTERNAL_ERROR', this.redact(`the markunread module failed: ${describe(cause)}`), 0, 0, { cause });
      for (const reject of this.pending) reject(this.error);
      this.pending.clear();
    }
    return this.error;
  }

  // A promise for a module call that keeps only the call's reject, and only
  // until it settles, so nothing of a settled call stays reachable.
  track(call) {
    return new Promise((resolve, reject) => {
      this.pending.add(reject);
      Promise.resolve(call).then(
        (value) => { this.pending.delete(reject); resolve(value); },
        (err) => {
          this.pending.delete(reject);
          reject(err instanceof MarkUnreadError ? err
            : new MarkUnreadError('INTERNAL_ERROR', this.redact(`unexpected rejection from the module: ${describe(err)}`), 0, 0, { cause: err }));
        },
      );
    });
  }

  close(api) {
    this.closing ??= (async () => {
      if (!this.error) {
        try {
          this.finalStats = api.stats();
          api.close((stats) => { this.finalStats = stats; }); // the counters once everything settled
        } catch (cause) {
          this.fail(cause);
        }
      }
      await this.exited;
      this.fail(new Error('closed'));
    })();
    return this.closing;
  }

  secret(value) {
    if (typeof value !== 'string' || value.length < 4 || this.#secrets.includes(value)) return;
    this.#secrets.push(value);
    if (this.#secrets.length > MAX_SECRETS) this.#secrets.shift();
  }

  // Tokens seen from the auth source, and anything that looks like a token
  // parameter, become "[redacted]": a portal error that echoes the request
  // body must not put the token into err.message, which apps log.
  redact(text) {
    let out = String(text);
    for (const secret of this.#secrets) {
      out = out.split(secret).join(REDACTED);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join(REDACTED);
    }
    return out.replace(TOKEN_PARAM, (_, name) => `${name}=${REDACTED}`);
  }
}

const REDACTED = '[redacted]';
const MAX_SECRETS = 32;
const TOKEN_PARAM = /\b(auth|access_token|refresh_token|auth_id|refresh_id|AUTH_ID|REFRESH_ID)=(?!\[redacted\])[^&\s"'<>,;]+/g;

/**
 * Instantiates the module and resolves to a client once it is ready.
 * @param {object} [options] see markunread.d.ts
 * @returns {Promise<MarkUnreadClient>}
 */
export async function load(options) {
  const module = new ModuleState();
  const opts = validateOptions(options);
  const env = globalThis;
  // options.portal reaches the module as options.portal, which overrides
  // the portal the auth source names.
  const auth = resolveAuth(opts.auth, env, { onSecret: (s) => module.secret(s) });
  if (!auth) {
    throw new MarkUnreadError('NO_AUTH', 'no auth source: pass options.auth (an object with a token, BX24 or a B24Frame), '
      + 'put BX24 on the page, or load the module inside a Bitrix24 app frame');
  }
  if (typeof Go !== 'function') {
    throw new Error('markunread: wasm_exec.js did not give Go; serve the wasm_exec.js of this build beside markunread.js');
  }
  const go = new Go();
  // Once the Go program has ended, nothing may call into it: a callback of
  // the module that the page still holds (a fetch or an auth source
  // answering late) would throw "Go program has already exited" into the
  // page, and a timer it had asked for would fire into nothing and keep
  // Node's event loop alive until then. go.exit runs as the program ends,
  // before any other JavaScript: it clears those timers and turns later
  // events for the program into nothing. _scheduledTimeouts and _resume
  // are wasm_exec.js's own (the toolchain's file, of the same Go version as
  // the module: see js/wasm_exec.module.js); every pending call of the shim
  // is settled by then.
  const exit = go.exit;
  go.exit = (code) => {
    const timers = go._scheduledTimeouts;
    if (timers instanceof Map) {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    }
    go._resume = () => {};
    exit.call(go, code);
  };
  startBudget(); // while the module downloads and compiles
  const instance = await instantiate(opts.wasmUrl, go.importObject);

  let client = null;
  let ready, notReady;
  const readyPromise = new Promise((resolve, reject) => { ready = resolve; notReady = reject; });
  // Everything the module reads is a null-prototype object built here, so a
  // polluted Object.prototype is invisible to Go's Get too.
  const bridge = nullObject({
    options: moduleOptions(opts, env),
    fetch: opts.fetch,
    auth: authForModule(auth, module),
    plans: plansForModule,
    budget: budgetForModule,
    newError: (code, description, status, attempts) => withoutStack(() => new MarkUnreadError(String(code), module.redact(description), status, attempts)),
    onSettle: (dialogId, messageId, ok, code, bulk, settled, succeeded, failed, queued, inFlight) => progressHeard.has(client) && client.dispatchEvent(
      new CustomEvent('progress', { detail: { dialogId, messageId, ok, code, bulk, settled, succeeded, failed, queued, inFlight } }),
    ),
    onLog: opts.onLog ? (event) => logTo(opts.onLog, event, module) : undefined,
    ready: (api) => ready(api),
    refuse: (code, description) => notReady(code === 'BAD_OPTION'
      ? new TypeError(`markunread: ${description}`)
      : new MarkUnreadError(String(code), module.redact(description))),
  });

  // The bridge goes on the Go program's private global (js.Global() in Go),
  // not on the page's.
  const key = `__markunread_${randomKey()}`;
  goGlobal[key] = bridge;
  go.env = { MARKUNREAD_BRIDGE: key };
  go.argv = ['markunread'];
  // go.run settles only when the Go program exits, which it must never do;
  // from then on every pending and later call rejects instead of hanging.
  module.exited = go.run(instance).then(
    () => module.fail(new Error('the Go program exited')),
    (cause) => module.fail(cause),
  ).then(notReady);

  let timer;
  try {
    const api = await Promise.race([
      readyPromise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`markunread: the module did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      }),
    ]);
    if (!api || typeof api.markUnread !== 'function' || typeof api.markMany !== 'function'
      || typeof api.stats !== 'function' || typeof api.close !== 'function' || typeof api.hearProgress !== 'function') {
      throw new Error('markunread: the module is not the version this shim expects (ready gave no markUnread/markMany/stats/close/hearProgress)');
    }
    client = new MarkUnreadClient(api, module);
    return client;
  } catch (err) {
    if (err instanceof MarkUnreadError && err.code === 'INTERNAL_ERROR') {
      throw new Error(`markunread: the module stopped while starting: ${err.description}`, { cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    delete goGlobal[key];
  }
}

// The options as the module reads them: only what the page gave, under
// the names of the module's option list.
function moduleOptions(opts, env) {
  const out = nullObject({ pageSecure: pageIsSecure(env), batch: opts.batch });
  if (opts.portal !== undefined) out.portal = opts.portal;
  if (opts.limits.perSecond !== undefined) out['limits.perSecond'] = opts.limits.perSecond;
  if (opts.limits.burst !== undefined) out['limits.burst'] = opts.limits.burst;
  for (const name of NUMERIC_OPTIONS) {
    if (opts[name] !== undefined) out[name] = opts[name];
  }
  return out;
}

// Hands a log event to the page's onLog as a frozen plain object; a throw
// there reaches the page's error handler, not the module.
function logTo(onLog, event, module) {
  const e = { kind: String(event.kind), message: module.redact(event.message) };
  for (const name of ['code', 'waitMs', 'commands']) {
    if (event[name] !== undefined) e[name] = event[name];
  }
  safely(() => onLog(Object.freeze(e)));
}

// packed(values) is the text the module reads as the list values in one
// crossing of the wasm boundary, instead of one per element (the Go side's
// argList): each element a type letter and its text, "s" and a string or
// "n" and a finite number as ToString prints it, separated by NUL. It is
// null when an element is neither, or a string holds a NUL: those lists go
// as arrays. Built without JSON.stringify, which a page's toJSON on
// String.prototype could rewrite.
function packed(values) {
  if (values.length === 0) return null;
  let text = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string') {
      if (v.indexOf('\0') !== -1) return null;
      text += (i === 0 ? 's' : '\0s') + v;
    } else if (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)) {
      text += (i === 0 ? 'n' : '\0n') + v;
    } else {
      return null;
    }
  }
  return text;
}

function safely(fn) {
  try {
    fn();
  } catch (err) {
    queueMicrotask(() => { throw err; });
  }
}

// The auth source as the module sees it: null-prototype objects only, and
// every token it hands over noted for redaction.
function authForModule(source, module) {
  const ask = (fn) => async () => {
    const c = await fn();
    module.secret(c.accessToken);
    const out = nullObject({ portal: c.portal, accessToken: c.accessToken });
    if (typeof c.expiresIn === 'number') out.expiresIn = c.expiresIn;
    return out;
  };
  const out = nullObject({ token: ask(() => source.token()) });
  if (typeof source.refresh === 'function') out.refresh = ask(() => source.refresh());
  return out;
}

// The module's errors carry no stack trace: it would show only the module's
// own frames, and the Go side keeps each error it made reachable until its
// garbage collector runs, so a trace per failed call would add up.
// (Error.stackTraceLimit is V8's and JavaScriptCore's; elsewhere nothing changes.)
function withoutStack(make) {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number') return make();
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function nullObject(fields) {
  return Object.assign(Object.create(null), fields);
}

// "Secure page" is the page's real origin, which a srcdoc or about:blank
// frame inherits from its parent while its location says "about:". An
// opaque origin (a sandboxed frame) counts as secure when the context is.
function pageIsSecure(env) {
  const origin = own(env, 'origin');
  if (typeof origin === 'string' && origin !== 'null') return origin.startsWith('https:');
  return own(env, 'isSecureContext') === true;
}

// Fetches and compiles the module. Each step has its bound: the answer and
// every chunk of the download must come within DOWNLOAD_STALL_MS of the last
// sign of progress, and compiling must end within COMPILE_TIMEOUT_MS of the
// last byte; a stalled step rejects with a message that names it.
async function instantiate(wasmUrl, importObject) {
  const url = String(wasmUrl);
  const controller = new AbortController();
  let stalled = null; // the Error to give once the watchdog fired
  let received = 0;
  let watchdog;
  const watch = (ms, error) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => { stalled = error(); controller.abort(stalled); }, ms);
  };
  try {
    let response;
    watch(DOWNLOAD_STALL_MS, () => new Error(`markunread: loading ${url} stalled: no answer from the server within ${DOWNLOAD_STALL_MS / 1000} s`));
    try {
      response = await globalThis.fetch(url, { signal: controller.signal });
    } catch (cause) {
      throw stalled ?? new Error(`markunread: cannot fetch ${url}: ${describe(cause)}`, { cause });
    }
    if (!response.ok || !response.body) {
      throw new Error(`markunread: cannot fetch ${url}: HTTP ${response.status}${response.body ? '' : ', no body'}`);
    }
    const type = (response.headers.get('content-type') ?? '').trim().toLowerCase();
    const downloadStalled = () => new Error(`markunread: the download of ${url} stalled: no byte for ${DOWNLOAD_STALL_MS / 1000} s after ${received} bytes`);
    watch(DOWNLOAD_STALL_MS, downloadStalled);
    const reader = response.body.getReader();
    let compileDeadline;
    const compiling = new Promise((_, reject) => { compileDeadline = reject; });
    compiling.catch(() => {});
    const body = new ReadableStream({
      async pull(out) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (cause) {
          out.error(stalled ?? cause);
          compileDeadline(stalled ?? cause);
          return;
        }
        if (chunk.done) {
          watch(COMPILE_TIMEOUT_MS, () => new Error(`markunread: compiling ${url} did not finish within ${COMPILE_TIMEOUT_MS / 1000} s of the last byte`));
          out.close();
          return;
        }
        received += chunk.value.byteLength;
        watch(DOWNLOAD_STALL_MS, downloadStalled);
        out.enqueue(chunk.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    controller.signal.addEventListener('abort', () => compileDeadline(stalled), { once: true });
    try {
      // Streaming compiles while the bytes arrive, but browsers allow it only
      // for application/wasm; decide up front so the body is read exactly once.
      if (type === 'application/wasm' && typeof WebAssembly.instantiateStreaming === 'function') {
        const streamed = new Response(body, { headers: { 'content-type': 'application/wasm' } });
        return (await Promise.race([WebAssembly.instantiateStreaming(streamed, importObject), compiling])).instance;
      }
      if (type !== 'application/wasm') {
        console.warn(`markunread: ${url} is served as "${type || 'no Content-Type'}"; serve .wasm files as application/wasm so the browser can compile while downloading`);
      }
      const bytes = await Promise.race([new Response(body).arrayBuffer(), compiling]);
      return (await Promise.race([WebAssembly.instantiate(bytes, importObject), compiling])).instance;
    } catch (cause) {
      throw stalled ?? new Error(`markunread: cannot instantiate ${url}: ${describe(cause)}`, { cause });
    }
  } finally {
    clearTimeout(watchdog);
  }
}

// Fills defaults and throws a TypeError for values the module cannot use.
// Only the options object's own properties count (and those of limits).
function validateOptions(options) {
  if (options == null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('markunread: load(options): options must be an object');
  }
  const given = ownCopy(options);
  for (const name of Object.keys(given)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`markunread: unknown option "${name}"`);
  }
  const out = Object.create(null);
  out.auth = given.auth;

  const wasmUrl = given.wasmUrl ?? new URL('./markunread.wasm', import.meta.url);
  if (typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL)) {
    throw new TypeError('markunread: options.wasmUrl must be a string or a URL');
  }
  out.wasmUrl = wasmUrl;

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

  out.batch = given.batch ?? true;
  if (typeof out.batch !== 'boolean') throw new TypeError('markunread: options.batch must be true or false');
  for (const name of NUMERIC_OPTIONS) out[name] = numeric(given[name], name);

  if (given.onLog != null && typeof given.onLog !== 'function') {
    throw new TypeError('markunread: options.onLog must be a function');
  }
  out.onLog = given.onLog ?? undefined;

  if (given.fetch != null && typeof given.fetch !== 'function') {
    throw new TypeError('markunread: options.fetch must be a function like window.fetch');
  }
  if (given.fetch == null && typeof globalThis.fetch !== 'function') {
    throw new TypeError('markunread: this environment has no fetch; pass options.fetch');
  }
  out.fetch = given.fetch ?? globalThis.fetch.bind(globalThis);
  return out;
}

// A number option as given, or undefined; its bounds are the module's.
function numeric(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`markunread: options.${name} must be a number, got ${String(value)}`);
  }
  return value;
}

function isAbortSignal(value) {
  return typeof AbortSignal === 'function' ? value instanceof AbortSignal : typeof value.aborted === 'boolean';
}

function describe(value) {
  return value instanceof Error ? value.message : String(value);
}
