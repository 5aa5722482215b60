// markunread budget: one request budget per portal for every client of the
// app's origin in this browser: clients in one page, in frames and in tabs.
// The portal counts requests per portal and source address, so all of them
// share one leaky bucket there; this module keeps one here too, so that
// together they never send what the portal would refuse. They share what
// they learn too: the operating-time holds they meet, and the room the
// portal's other apps leave.
//
// Where the bucket lives (budget-transports.js): a SharedWorker, else a
// leader tab elected with Web Locks, else this page. Reservations are
// granted in the order they arrived, across tabs. A client holds the Web
// Lock "markunread-budget-client:<owner>" while it lives, so a tab that
// closes or crashes stops holding budget at once: its waiting reservations
// are dropped, and a grant it never used is simply spent. The protocol
// between them is in budget-core.js.
import { parseLimits, portalKey } from './budget-core.js';
import { Link } from './budget-link.js';
import { ownValue } from './own.js';

/** @typedef {import('./budget-ledger.js').Limits} Limits */
/** @typedef {import('./budget-link.js').BudgetVia} BudgetVia */

/** @param {unknown} limits */
function checkedLimits(limits) {
  const parsed = parseLimits(limits);
  if (parsed === null) {
    throw new TypeError('markunread budget: limits must be {perSecond: number > 0, burst: integer >= 1} (own properties)');
  }
  return parsed;
}

/** @param {unknown} others @param {unknown} at @returns {boolean} */
function isRoom(others, at) {
  return isCount(others) && isCount(at);
}

/** A finite number of at least 0. @param {unknown} n @returns {n is number} */
function isCount(n) {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

/** @type {Map<string, Link>} one link per preferred transport ('' = best available) */
const links = new Map();

/** @param {BudgetVia | undefined} prefer */
function linkFor(prefer) {
  const key = prefer ?? '';
  let link = links.get(key);
  if (link === undefined) {
    link = new Link(prefer);
    links.set(key, link);
  }
  return link;
}

// ---- the public API --------------------------------------------------------

/**
 * Starts this page's link to the shared bucket (a SharedWorker takes some
 * time to start), so that a client's first request does not wait for it.
 * Idempotent.
 */
export function startBudget() {
  linkFor(undefined);
}

/**
 * The shared request budget of one portal: every client of this origin in
 * this browser that creates a budget for the same portal origin draws on
 * one leaky bucket (level +1 per request, drains at perSecond, waits past
 * burst less a headroom of ceil(perSecond/4)).
 *
 * `limits` opens the portal's bucket with that plan unless another client
 * already opened it; setLimits changes it for everyone.
 *
 * @param {string | URL} portalOrigin the portal's URL (only its origin counts)
 * @param {Limits} limits
 * @param {{via?: BudgetVia}} [options] force where the bucket lives (for tests)
 */
export function createBudget(portalOrigin, limits, options) {
  const portal = portalKey(portalOrigin);
  let current = checkedLimits(limits);
  /** @type {BudgetVia | undefined} */
  let via;
  if (options !== undefined && options !== null) {
    const given = ownValue(options, 'via');
    if (given !== undefined && given !== 'shared-worker' && given !== 'leader' && given !== 'page') {
      throw new TypeError('markunread budget: options.via must be "shared-worker", "leader" or "page"');
    }
    via = given;
  }
  const link = linkFor(via);
  /** @type {Set<number>} this budget's waiting reservations */
  const mine = new Set();
  let closed = false;
  const self = {}; // this budget, as the watchers know it

  return Object.freeze({
    /**
     * Resolves when one request to the portal may go now; it is counted in
     * the shared bucket. It resolves with the app's count of the portal's
     * requests before it, {granted, refused} (503s told by full), so a
     * client can tell its own requests from the app's. Rejects once the
     * budget is closed, or with the signal's reason when options.signal
     * aborts while it waits (then it costs nothing).
     * @param {{signal?: AbortSignal}} [options]
     * @returns {Promise<import('./budget-ledger.js').Count | undefined>}
     */
    reserve(options) {
      if (closed) return Promise.reject(new Error('markunread budget: closed'));
      const given = options === undefined || options === null ? undefined : ownValue(options, 'signal');
      if (given !== undefined && (typeof given !== 'object' || given === null
        || typeof /** @type {{addEventListener?: unknown}} */ (given).addEventListener !== 'function')) {
        return Promise.reject(new TypeError('markunread budget: options.signal must be an AbortSignal'));
      }
      const signal = /** @type {AbortSignal | undefined} */ (given); // checked just above
      if (signal?.aborted) return Promise.reject(signal.reason);
      const { id, promise } = link.reserve(portal, current);
      mine.add(id);
      const onAbort = () => link.cancel(id, /** @type {AbortSignal} */ (signal).reason); // signal's listener only
      signal?.addEventListener('abort', onAbort, { once: true });
      return promise.finally(() => {
        mine.delete(id);
        signal?.removeEventListener('abort', onAbort);
      });
    },
    /** The portal answered QUERY_LIMIT_EXCEEDED: fill the shared bucket to the brim. */
    full() {
      if (!closed) link.tell({ type: 'full', portal, limits: current });
    },
    /**
     * The portal answered OPERATION_TIME_LIMIT: method is blocked until
     * `until` (epoch ms). Every other budget of the portal, in this page and
     * in the app's other tabs, hears it through watch.
     * @param {string} method @param {number} until
     */
    hold(method, until) {
      if (closed || typeof method !== 'string' || typeof until !== 'number' || !Number.isFinite(until)) return;
      link.hold(portal, method, until, self);
    },
    /**
     * listener(method, until) hears the holds other clients make for this
     * portal. Returns a function that stops it.
     * @param {(method: string, until: number) => void} listener
     * @returns {() => void}
     */
    watch(listener) {
      if (typeof listener !== 'function') throw new TypeError('markunread budget: watch(listener) takes a function');
      return link.watchHolds({ portal, listener, from: self });
    },
    /**
     * This client learned that the portal's other apps spend `others`
     * requests/second (0: nobody) at `at` (epoch ms), a belief that holds
     * `hold` ms before it fades (optional). Every other budget of the
     * portal, in this page and in the app's other tabs, hears it through
     * watchRoom. Not numbers, finite and >= 0: ignored.
     * @param {number} others @param {number} at @param {number} [hold]
     */
    room(others, at, hold = 0) {
      if (!closed && isRoom(others, at) && isCount(hold)) link.room(portal, others, at, hold, self);
    },
    /**
     * listener(others, at, hold) hears what the portal's other clients
     * learned of the room; at once, the latest estimate known. Returns a
     * function that stops it.
     * @param {(others: number, at: number, hold: number) => void} listener
     * @returns {() => void}
     */
    watchRoom(listener) {
      if (typeof listener !== 'function') throw new TypeError('markunread budget: watchRoom(listener) takes a function');
      return link.watchRoom({ portal, listener, from: self });
    },
    /** A learned plan: the shared bucket of this portal uses it from now on. @param {Limits} next */
    setLimits(next) {
      current = checkedLimits(next);
      if (!closed) link.tell({ type: 'limits', portal, limits: current });
    },
    /** Gives up this budget's waiting reservations (they reject) and stops. */
    close() {
      if (closed) return;
      closed = true;
      for (const id of [...mine]) link.cancel(id, new Error('markunread budget: closed'));
    },
    /** Where the bucket lives for this page: 'shared-worker', 'leader' or 'page'. */
    get via() {
      return link.via;
    },
  });
}

// ---- the module's side of the bridge ----------------------------------------
// The Go side (wasm/browser/budget.go) asks the shim for
//   budget(portal) -> {reserve(perSecond, burst) -> Promise<{granted, refused}>,
//                      full(), hold(method, until), watch(listener) -> unwatch,
//                      room(others, at, hold), watchRoom(listener) -> unwatch}
// (and plans.js's plansForModule). This adapts the API above to that shape.

/**
 * The module's budget(portal): a shared budget whose reserve takes the plan
 * the module is using. The first reservation opens the portal's shared
 * bucket with it (unless another client opened it already); a later change
 * of plan by this client (it learned one) becomes the bucket's plan for all.
 * @param {string} portal
 * @param {{via?: BudgetVia}} [options]
 */
export function budgetForModule(portal, options) {
  /** @type {ReturnType<typeof createBudget> | null} */
  let budget = null;
  /** @type {Limits | null} */
  let told = null;
  const me = {}; // this module, as the watchers know it
  const via = /** @type {BudgetVia | undefined} */ (options === undefined || options === null ? undefined : ownValue(options, 'via'));
  return Object.freeze({
    /**
     * Resolves when one request may go, with the app's count of the
     * portal's requests before it. The portal's shared bucket drains at
     * perSecond from this reservation on: the plan's rate, or what the
     * module believes the portal's other apps leave of it.
     * @param {number} perSecond @param {number} burst
     */
    reserve(perSecond, burst) {
      try {
        const plan = checkedLimits({ perSecond, burst });
        if (budget === null) budget = createBudget(portal, plan, options);
        else if (told === null || told.perSecond !== plan.perSecond || told.burst !== plan.burst) budget.setLimits(plan);
        told = plan;
        return budget.reserve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    full() {
      budget?.full();
    },
    /**
     * The module met OPERATION_TIME_LIMIT: the portal's other clients hear it.
     * @param {string} method @param {number} until epoch ms
     */
    hold(method, until) {
      if (typeof method !== 'string' || typeof until !== 'number' || !Number.isFinite(until)) return;
      try {
        linkFor(via).hold(portalKey(portal), method, until, me);
      } catch {
        // not a portal URL: nobody to tell
      }
    },
    /**
     * listener(method, until) hears the holds of the portal's other clients.
     * @param {(method: string, until: number) => void} listener
     * @returns {() => void} stops it
     */
    watch(listener) {
      return linkFor(via).watchHolds({ portal: portalKey(portal), listener, from: me });
    },
    /**
     * The module learned that the portal's other apps spend others
     * requests/second (0: nobody) at at (epoch ms), a belief that holds hold
     * ms: the portal's other clients hear it through watchRoom.
     * @param {number} others @param {number} at @param {number} [hold]
     */
    room(others, at, hold = 0) {
      if (!isRoom(others, at) || !isCount(hold)) return;
      try {
        linkFor(via).room(portalKey(portal), others, at, hold, me);
      } catch {
        // not a portal URL: nobody to tell
      }
    },
    /**
     * listener(others, at, hold) hears what the portal's other clients
     * learned of the room, and at once the latest estimate known.
     * @param {(others: number, at: number, hold: number) => void} listener
     * @returns {() => void} stops it
     */
    watchRoom(listener) {
      if (typeof listener !== 'function') throw new TypeError('markunread budget: watchRoom(listener) takes a function');
      return linkFor(via).watchRoom({ portal: portalKey(portal), listener, from: me });
    },
  });
}

