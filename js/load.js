// load(): fetches and compiles the module, starts its Go program with the
// bridge (the JS half of the contract in wasm/browser/doc.go), and resolves
// to a client once the module says it is ready. Each step of loading has a
// bound (the download watchdog below).
//
// wasm_exec.js is the Go toolchain's file, wrapped at build time in an ES
// module that runs it against a private global object (see
// js/wasm_exec.module.js): the page's global names stay exactly as they were.
import { Go, goGlobal } from './wasm_exec.js';
import { resolveAuth, randomKey } from './auth.js';
import { budgetForModule, startBudget } from './budget.js';
import { plansForModule } from './plans.js';
import { MarkUnreadClient, MarkUnreadError, ModuleState, hearsProgress, safely, describe } from './client.js';
import { validateOptions, moduleOptions } from './options.js';
import { nullObject } from './own.js';

// Loading bounds. A download may be slow, but one that delivers no byte for
// DOWNLOAD_STALL_MS has stalled; compiling and starting have fixed bounds.
const DOWNLOAD_STALL_MS = 10_000;
const COMPILE_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 20_000;

/** @typedef {import('./markunread.js').Credentials} Credentials */
/** @typedef {import('./client.js').ModuleApi} ModuleApi */
/** A log event as the module gives it (unread.LogEvent). @typedef {{kind: string, message: string, code?: string, waitMs?: number, commands?: number}} ModuleLogEvent */
/**
 * The bridge (wasm/browser/doc.go, "Fields the shim sets before go.run").
 * @typedef {object} Bridge
 * @property {Record<string, unknown>} options
 * @property {import('./options.js').CheckedOptions['fetch']} fetch
 * @property {import('./auth.js').TokenSource} auth
 * @property {typeof plansForModule} plans
 * @property {typeof budgetForModule} budget
 * @property {(code: string, description: string, status: number, attempts: number) => MarkUnreadError} newError
 * @property {(dialogId: string | null, messageId: number | null, ok: boolean, code: string | null, bulk: boolean,
 *   settled: number, succeeded: number, failed: number, queued: number, inFlight: number) => void} onSettle
 * @property {((event: ModuleLogEvent) => void) | undefined} onLog
 * @property {(api: unknown) => void} ready
 * @property {(code: string, description: string) => void} refuse
 */

/**
 * Instantiates the module and resolves to a client once it is ready.
 * @param {unknown} [options] see markunread.d.ts
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
  const go = newGo();
  startBudget(); // while the module downloads and compiles
  const instance = await instantiate(opts.wasmUrl ?? new URL('./markunread.wasm', import.meta.url), go.importObject);

  /** @type {MarkUnreadClient | null} */
  let client = null;
  /** @type {(api: unknown) => void} */
  let ready = () => {};
  /** @type {(err: unknown) => void} */
  let notReady = () => {};
  /** @type {Promise<unknown>} what ready gives */
  const readyPromise = new Promise((resolve, reject) => { ready = resolve; notReady = reject; });
  const bridge = bridgeFor(opts, env, auth, module, {
    ready: (api) => ready(api),
    notReady: (err) => notReady(err),
    client: () => client,
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
    (/** @type {unknown} */ cause) => module.fail(cause),
  ).then(notReady);

  let timer;
  try {
    const api = await Promise.race([
      readyPromise,
      /** @type {Promise<never>} */ (new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`markunread: the module did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      })),
    ]);
    if (!isModuleApi(api)) {
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

/** Whether ready gave the api this shim expects. @param {unknown} api @returns {api is ModuleApi} */
function isModuleApi(api) {
  const a = /** @type {{[K in keyof ModuleApi]?: unknown} | null | undefined} */ (api);
  return !!a && typeof a.markUnread === 'function' && typeof a.markMany === 'function'
    && typeof a.stats === 'function' && typeof a.close === 'function' && typeof a.hearProgress === 'function';
}

/**
 * A Go (wasm_exec.js) whose program, once ended, can no longer be called
 * into. A callback of the module that the page still holds (a fetch or an
 * auth source answering late) would throw "Go program has already exited"
 * into the page, and a timer it had asked for would fire into nothing and
 * keep Node's event loop alive until then. go.exit runs as the program
 * ends, before any other JavaScript: it clears those timers and turns later
 * events for the program into nothing. _scheduledTimeouts and _resume are
 * wasm_exec.js's own (the toolchain's file, of the same Go version as the
 * module: see js/wasm_exec.module.js); every pending call of the shim is
 * settled by then.
 */
function newGo() {
  if (typeof Go !== 'function') {
    throw new Error('markunread: wasm_exec.js did not give Go; serve the wasm_exec.js of this build beside markunread.js');
  }
  const go = new Go();
  const exit = go.exit;
  go.exit = (/** @type {number} */ code) => {
    const timers = go._scheduledTimeouts;
    if (timers instanceof Map) {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    }
    go._resume = () => {};
    exit.call(go, code);
  };
  return go;
}

/**
 * The bridge object the Go program reads (wasm/browser/doc.go, "Fields the
 * shim sets before go.run"). Everything the module reads is a
 * null-prototype object built here, so a polluted Object.prototype is
 * invisible to Go's Get too.
 * @param {import('./options.js').CheckedOptions} opts
 * @param {object} env
 * @param {import('./auth.js').TokenSource} auth the source resolveAuth gave
 * @param {ModuleState} module
 * @param {{ready: (api: unknown) => void, notReady: (err: unknown) => void, client: () => MarkUnreadClient | null}} to
 * @returns {Bridge}
 */
function bridgeFor(opts, env, auth, module, to) {
  const onLog = opts.onLog;
  return nullObject({
    options: moduleOptions(opts, env),
    fetch: opts.fetch,
    auth: authForModule(auth, module),
    plans: plansForModule,
    budget: budgetForModule,
    newError: (code, description, status, attempts) => withoutStack(() => new MarkUnreadError(String(code), module.redact(description), status, attempts)),
    onSettle: (dialogId, messageId, ok, code, bulk, settled, succeeded, failed, queued, inFlight) => {
      const client = to.client();
      if (client !== null && hearsProgress(client)) {
        /** @satisfies {import('./markunread.js').MarkUnreadProgress} */
        const detail = { dialogId, messageId, ok, code, bulk, settled, succeeded, failed, queued, inFlight };
        client.dispatchEvent(new CustomEvent('progress', { detail }));
      }
    },
    onLog: onLog ? (event) => logTo(onLog, event, module) : undefined,
    ready: to.ready,
    refuse: (code, description) => to.notReady(code === 'BAD_OPTION'
      ? new TypeError(`markunread: ${description}`)
      : new MarkUnreadError(String(code), module.redact(description))),
  });
}

// Hands a log event to the page's onLog as a frozen plain object; a throw
// there reaches the page's error handler, not the module.
/**
 * @param {(event: import('./markunread.js').MarkUnreadLogEvent) => void} onLog
 * @param {ModuleLogEvent} event @param {ModuleState} module
 */
function logTo(onLog, event, module) {
  /** @type {ModuleLogEvent} */
  const e = { kind: String(event.kind), message: module.redact(event.message) };
  if (event.code !== undefined) e.code = event.code;
  if (event.waitMs !== undefined) e.waitMs = event.waitMs;
  if (event.commands !== undefined) e.commands = event.commands;
  safely(() => onLog(Object.freeze(e)));
}

// The auth source as the module sees it: null-prototype objects only, and
// every token it hands over noted for redaction.
/** @param {import('./auth.js').TokenSource} source @param {ModuleState} module */
function authForModule(source, module) {
  /** @param {() => Promise<Credentials>} fn */
  const ask = (fn) => async () => {
    const c = await fn();
    module.secret(c.accessToken);
    /** @type {Credentials} */
    const out = nullObject({ portal: c.portal, accessToken: c.accessToken });
    if (typeof c.expiresIn === 'number') out.expiresIn = c.expiresIn;
    return out;
  };
  /** @type {import('./auth.js').TokenSource} */
  const out = nullObject({ token: ask(() => source.token()) });
  if (typeof source.refresh === 'function') out.refresh = ask(() => /** @type {Required<typeof source>} */ (source).refresh());
  return out;
}

// The module's errors carry no stack trace: it would show only the module's
// own frames, and the Go side keeps each error it made reachable until its
// garbage collector runs, so a trace per failed call would add up.
// (Error.stackTraceLimit is V8's and JavaScriptCore's; elsewhere nothing changes.)
/** @template T @param {() => T} make @returns {T} */
function withoutStack(make) {
  const E = /** @type {ErrorConstructor & {stackTraceLimit?: number}} */ (Error);
  const limit = E.stackTraceLimit;
  if (typeof limit !== 'number') return make();
  E.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    E.stackTraceLimit = limit;
  }
}

// Fetches and compiles the module. Each step has its bound: the answer and
// every chunk of the download must come within DOWNLOAD_STALL_MS of the last
// sign of progress, and compiling must end within COMPILE_TIMEOUT_MS of the
// last byte; a stalled step rejects with a message that names it.
/** @param {string | URL} wasmUrl @param {WebAssembly.Imports} importObject @returns {Promise<WebAssembly.Instance>} */
async function instantiate(wasmUrl, importObject) {
  const url = String(wasmUrl);
  const controller = new AbortController();
  /** @type {Error | null} the Error to give once the watchdog fired */
  let stalled = null;
  let received = 0;
  /** @type {Uint8Array | null} the first bytes, to tell an HTML page from a module */
  let head = null;
  /** @type {number | undefined} */ let watchdog;
  /** @param {number} ms @param {() => Error} error */
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
    /** @type {(reason: unknown) => void} */ let compileDeadline;
    /** @type {Promise<never>} */
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
        head ??= chunk.value.slice(0, 16);
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
      const bytes = await Promise.race([new Response(body).arrayBuffer(), compiling]);
      const { instance } = await Promise.race([WebAssembly.instantiate(bytes, importObject), compiling]);
      if (type !== 'application/wasm') {
        console.warn(`markunread: ${url} is served as "${type || 'no Content-Type'}"; serve .wasm files as application/wasm so the browser can compile while downloading`);
      }
      return instance;
    } catch (cause) {
      if (stalled) throw stalled;
      // A dev server answers a path it does not have with its app's page
      // (Vite's fallback): the compiler's "expected magic word" says less.
      if (type.startsWith('text/html') || looksLikeHTML(head)) {
        throw new Error(`markunread: cannot instantiate ${url}: an HTML page came back instead of the module `
          + `(served as "${type || 'no Content-Type'}"); is wasmUrl right?`, { cause });
      }
      throw new Error(`markunread: cannot instantiate ${url}: ${describe(cause)}`, { cause });
    }
  } finally {
    clearTimeout(watchdog);
  }
}


/**
 * Whether a body begins like markup: "<" after an optional byte order mark
 * and white space. A wasm module begins with "\0asm".
 * @param {Uint8Array | null} head
 */
function looksLikeHTML(head) {
  if (head === null) return false;
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  return head[i] === 0x3c;
}
