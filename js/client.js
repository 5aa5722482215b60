// The client a page holds: MarkUnreadError, MarkUnreadClient, and the state
// of one loaded Go program as the shim sees it (ModuleState): whether it
// stopped, the calls still pending, the tokens to keep out of every message.
// load.js builds them; markunread.js is the map.
import { own } from './own.js';
import { isAbortSignal } from './options.js';
import { Redactor } from './redaction.js';

/** @typedef {import('./markunread.js').MarkUnreadStats} MarkUnreadStats */
/** @typedef {import('./markunread.js').MarkUnreadError} DeclaredError */
/**
 * The module's exports, handed to the bridge's ready (wasm/browser/doc.go,
 * "The api object"); load() checks that each is a function. A list is an
 * array or the packed text of one (packed below).
 * @typedef {object} ModuleApi
 * @property {(dialogId: unknown, messageId: unknown, signal?: AbortSignal) => Promise<true>} markUnread
 * @property {(dialogIds: unknown[] | string, messageIds: unknown[] | string, signal?: AbortSignal,
 *   onEach?: (index: number, ok: boolean) => void) => Promise<Array<true | DeclaredError>>} markMany
 *   (its errors are newError's MarkUnreadErrors, as markunread.d.ts declares them: there, name is a literal)
 * @property {() => void} hearProgress
 * @property {() => MarkUnreadStats} stats
 * @property {(closed?: (stats: MarkUnreadStats) => void) => void} close
 */

/** A call that did not succeed: `code` is the server's error code or the module's own. */
export class MarkUnreadError extends Error {
  /**
   * @param {string} code
   * @param {string} description
   * @param {number} [status] HTTP status; 0 or absent when there was none
   * @param {number} [attempts] requests made for this call: 0 when none was
   * @param {ErrorOptions} [options]
   */
  constructor(code, description, status, attempts, options) {
    super(`${code}: ${description}`, options);
    this.name = 'MarkUnreadError';
    this.code = code;
    this.description = description;
    this.status = status ? status : undefined;
    // 0 says that no request was made (refused locally, cancelled while
    // queued); undefined that nobody counted (the shim's own errors).
    this.attempts = typeof attempts === 'number' && Number.isSafeInteger(attempts) && attempts >= 0 ? attempts : undefined;
  }
}

// The clients that have had a progress listener added.
const progressHeard = new WeakSet();

/**
 * Whether client has had a progress listener added: until then no event is
 * built for a settled call.
 * @param {MarkUnreadClient | null} client
 */
export function hearsProgress(client) {
  return client !== null && progressHeard.has(client);
}

/** What load() resolves to. Dispatches `progress` (a CustomEvent, detail = the settled call) after each call. */
export class MarkUnreadClient extends EventTarget {
  #api;
  #module;

  /**
   * @internal load() builds clients; the constructor is not public API.
   * @param {ModuleApi} api the module's exports (wasm/browser/doc.go)
   * @param {ModuleState} module
   */
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
   * @returns {Promise<import('./markunread.js').MarkOutcome[]>}
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
    // Each as given, of the type pairs has: the module checks them.
    /** @type {Array<string | number>} */
    const dialogs = new Array(pairs.length);
    /** @type {Array<number | string>} */
    const messages = new Array(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const pair = own(pairs, i);
      if (Array.isArray(pair)) {
        dialogs[i] = /** @type {string | number} */ (own(pair, 0));
        messages[i] = /** @type {number | string} */ (own(pair, 1));
      } else {
        dialogs[i] = /** @type {string | number} */ (own(pair, 'dialogId'));
        messages[i] = /** @type {number | string} */ (own(pair, 'messageId'));
      }
    }
    const module = this.#module;
    if (module.error) throw module.error;
    const total = pairs.length;
    let done = 0, succeeded = 0;
    const onEach = onProgress == null ? undefined : (/** @type {number} */ _, /** @type {boolean} */ ok) => {
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
   * @override
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

/**
 * One loaded Go program's state as the shim sees it: whether it stopped,
 * the rejecters of the calls still pending, and the secrets to keep out of
 * every message.
 */
export class ModuleState {
  /** @type {MarkUnreadError | null} */
  error = null;
  /** @type {Set<(err: Error) => void>} */
  pending = new Set();
  /** @type {MarkUnreadStats | null} */
  finalStats = null;
  /** @type {Promise<void> | null} */
  closing = null;
  /** @type {Promise<unknown> | null} settles when the Go program ends */
  exited = null;
  #redactor = new Redactor();

  // Once the Go program stops, every pending and later call rejects: with
  // CLIENT_CLOSED after close(), with INTERNAL_ERROR when it failed.
  /** @param {unknown} cause @returns {MarkUnreadError} */
  fail(cause) {
    if (!this.error) {
      this.error = this.closing
        ? new MarkUnreadError('CLIENT_CLOSED', 'the client is closed')
        : new MarkUnreadError('INTERNAL_ERROR', this.redact(`the markunread module failed: ${describe(cause)}`), 0, undefined, { cause });
      for (const reject of this.pending) reject(this.error);
      this.pending.clear();
    }
    return this.error;
  }

  // A promise for a module call that keeps only the call's reject, and only
  // until it settles, so nothing of a settled call stays reachable.
  /** @template T @param {Promise<T>} call @returns {Promise<T>} */
  track(call) {
    return new Promise((resolve, reject) => {
      this.pending.add(reject);
      Promise.resolve(call).then(
        (value) => { this.pending.delete(reject); resolve(value); },
        (/** @type {unknown} */ err) => {
          this.pending.delete(reject);
          reject(err instanceof MarkUnreadError ? err
            : new MarkUnreadError('INTERNAL_ERROR', this.redact(`unexpected rejection from the module: ${describe(err)}`), 0, undefined, { cause: err }));
        },
      );
    });
  }

  /** @param {ModuleApi} api */
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

  /** A token the auth source gave out. @param {unknown} value */
  secret(value) {
    this.#redactor.secret(value);
  }

  // Tokens seen from the auth source, and anything that looks like a token
  // parameter, become "[redacted]": a portal error that echoes the request
  // body must not put the token into err.message, which apps log.
  /** @param {unknown} text */
  redact(text) {
    return this.#redactor.redact(text);
  }
}

// packed(values) is the text the module reads as the list values in one
// crossing of the wasm boundary, instead of one per element (the Go side's
// argList): each element a type letter and its text, "s" and a string or
// "n" and a finite number as ToString prints it, separated by NUL. It is
// null when an element is neither, or a string holds a NUL: those lists go
// as arrays. Built without JSON.stringify, which a page's toJSON on
// String.prototype could rewrite.
/** @param {unknown[]} values */
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

/** Runs fn; a throw reaches the page's error handler, not the caller. @param {() => void} fn */
export function safely(fn) {
  try {
    fn();
  } catch (err) {
    queueMicrotask(() => { throw err; });
  }
}


/** @param {unknown} value */
export function describe(value) {
  return value instanceof Error ? value.message : String(value);
}
