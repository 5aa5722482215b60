// markunread budget: one request budget per portal for every client of the
// app's origin in this browser: clients in one page, in frames and in tabs.
// The portal counts requests per portal and source address, so all of them
// share one leaky bucket there; this module keeps one here too, so that
// together they never send what the portal would refuse.
//
// Where the bucket lives, best first:
//  1. a SharedWorker (markunread-budget-worker.js beside this file), one for
//     the origin, holding a bucket per portal origin;
//  2. where SharedWorker is missing (Chrome on Android) or blocked: the tab
//     that holds the Web Lock "markunread-budget-leader" runs the bucket and
//     the others talk to it over BroadcastChannel "markunread-budget"; when
//     it goes, the next tab takes the lock and the bucket's last announced
//     state;
//  3. with neither: a bucket in this page, shared by the clients of the page.
//
// Reservations are granted in the order they arrived, across tabs. A client
// holds the Web Lock "markunread-budget-client:<owner>" while it lives, so a
// tab that closes or crashes stops holding budget at once: its waiting
// reservations are dropped, and a grant it never used is simply spent.
//
// Messages (structured clone; every field read as an own property):
//   client -> bucket  {type: 'hello', owner, locked}       locked: it holds its client lock
//                       (to the worker, and to a leader: it answers with the holds not yet lifted)
//                     {type: 'reserve', owner, id, portal, limits}
//                     {type: 'reserve', owner, items: [{id, portal, limits}]} (to the worker:
//                       the reservations of one task)
//                     {type: 'cancel', owner, id}
//                     {type: 'full', owner, portal, limits}
//                     {type: 'hold', owner, portal, method, until}  the portal answered
//                       OPERATION_TIME_LIMIT: method is blocked until until (epoch ms)
//                     {type: 'limits', owner, portal, limits}
//                     {type: 'bye', owner}
//   bucket -> client  {type: 'ready'} (worker only), {type: 'grant', owner, id},
//                     {type: 'grants', ids} (worker only: one pump's grants to this client)
//                     {type: 'held', portal, method, until, from}  another client's hold
//                     {type: 'held', portal, method, until, to}  (leader only) a hold not yet
//                       lifted, for the client that just said hello
//   leader -> all     {type: 'leader', owner}, {type: 'state', portal, level, at, limits}
import { BudgetHub, HoldBook, parseHold, parseLimits, ownValue } from './budget-core.js';

// The worker's name carries its protocol's version: a tab of an older
// version still open keeps its own worker instead of talking past this one.
const WORKER_NAME = 'markunread-budget/2';
const CHANNEL_NAME = 'markunread-budget';
const LEADER_LOCK = 'markunread-budget-leader';
const CLIENT_LOCK_PREFIX = 'markunread-budget-client:';
const WORKER_READY_TIMEOUT_MS = 3000;
const PLAN_KEY_PREFIX = 'markunread.plan:';

/** @typedef {{perSecond: number, burst: number}} Limits */
/** @typedef {'shared-worker' | 'leader' | 'page'} BudgetVia */

/** The origin of a portal URL, or a TypeError. */
function portalKey(portalOrigin) {
  if (typeof portalOrigin !== 'string' && !(portalOrigin instanceof URL)) {
    throw new TypeError('markunread budget: portalOrigin must be a URL string');
  }
  let origin;
  try {
    origin = new URL(String(portalOrigin)).origin;
  } catch {
    throw new TypeError(`markunread budget: portalOrigin is not a URL: ${String(portalOrigin)}`);
  }
  if (origin === 'null') throw new TypeError(`markunread budget: portalOrigin has no origin: ${String(portalOrigin)}`);
  return origin;
}

function checkedLimits(limits) {
  const parsed = parseLimits(limits);
  if (parsed === null) {
    throw new TypeError('markunread budget: limits must be {perSecond: number > 0, burst: integer >= 1} (own properties)');
  }
  return parsed;
}

function newOwner() {
  const c = globalThis.crypto;
  if (c !== undefined && typeof c.randomUUID === 'function') return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// ---- the link: this page's one connection to the shared bucket -------------

/**
 * Link is this realm's connection to wherever the bucket lives. Every budget
 * of the page reserves through it; it keeps what is waiting, so that a
 * change of transport (the worker failed to start, a leader went) resends
 * it and nothing is lost.
 */
class Link {
  constructor(prefer) {
    this.owner = newOwner();
    this.nextId = 1;
    /** @type {Map<number, {portal: string, limits: Limits, resolve: () => void, reject: (e: Error) => void}>} */
    this.waiting = new Map();
    /** @type {BudgetVia} */
    this.via = 'page';
    this.transport = null;
    this.locked = false;
    this.lockRelease = null;
    /** @type {Set<{portal: string, listener: (method: string, until: number) => void, from: object}>} */
    this.watchers = new Set();
    /** @type {HoldBook<{portal: string, method: string, until: number, from: object | null}>} the holds heard */
    this.holds = new HoldBook();
    this.ready = this.start(prefer);
  }

  async start(prefer) {
    await this.holdClientLock();
    const order = prefer !== undefined ? [prefer] : ['shared-worker', 'leader', 'page'];
    for (const via of order) {
      let t = null;
      try {
        if (via === 'shared-worker') t = await WorkerTransport.open(this);
        else if (via === 'leader') t = LeaderTransport.open(this);
        else t = new PageTransport(this);
      } catch {
        t = null;
      }
      if (t !== null) {
        this.use(via, t);
        return;
      }
    }
    this.use('page', new PageTransport(this));
  }

  // Holds this client's lock until the page goes: whoever holds the bucket
  // waits for it to learn that the client is gone.
  async holdClientLock() {
    const locks = globalThis.navigator?.locks;
    if (locks === undefined || typeof locks.request !== 'function') return;
    try {
      await new Promise((held, failed) => {
        locks.request(CLIENT_LOCK_PREFIX + this.owner, () => {
          held();
          return new Promise((release) => { this.lockRelease = release; });
        }).catch(failed);
      });
      this.locked = true;
    } catch {
      this.locked = false;
    }
  }

  use(via, transport) {
    this.via = via;
    this.transport = transport;
    for (const [id, w] of this.waiting) transport.send({ type: 'reserve', owner: this.owner, id, portal: w.portal, limits: w.limits });
  }

  /** The transport failed after it started: move to the next one, resending what waits. */
  failOver(from) {
    if (this.transport !== from) return;
    const next = from instanceof WorkerTransport ? LeaderTransport.open(this) : null;
    if (next !== null) this.use('leader', next);
    else this.use('page', new PageTransport(this));
  }

  /** A reservation: its id, and a promise that resolves on its grant. */
  reserve(portal, limits) {
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => {
      this.waiting.set(id, { portal, limits, resolve, reject });
    });
    if (this.transport !== null) this.transport.send({ type: 'reserve', owner: this.owner, id, portal, limits });
    return { id, promise };
  }

  /**
   * A client of this page met the operating-time limit: the page's other
   * budgets of the portal hear it now, other tabs through the bucket.
   */
  hold(portal, method, until, from) {
    this.held(portal, method, until, from);
    this.tell({ type: 'hold', portal, method, until }).catch(() => {});
  }

  /** Tells the watchers of portal of a hold, but not the budget it came from. */
  held(portal, method, until, from) {
    this.holds.note({ portal, method, until, from });
    for (const w of this.watchers) {
      if (w.portal === portal && w.from !== from) tellWatcher(w, method, until);
    }
  }

  /** Adds a watcher, which hears at once the holds of its portal not yet lifted. */
  watch(w) {
    this.watchers.add(w);
    for (const h of this.holds.active(Date.now())) {
      if (h.portal === w.portal && h.from !== w.from) tellWatcher(w, h.method, h.until);
    }
    return () => { this.watchers.delete(w); };
  }

  granted(id) {
    const w = this.waiting.get(id);
    if (w === undefined) return; // cancelled, or granted twice across a hand-over
    this.waiting.delete(id);
    w.resolve();
  }

  /** Gives up a waiting reservation: it rejects with reason. */
  cancel(id, reason) {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.waiting.delete(id);
    this.transport?.send({ type: 'cancel', owner: this.owner, id });
    w.reject(reason);
  }

  // full and limits wait for the transport to be up.
  async tell(msg) {
    await this.ready;
    this.transport.send({ ...msg, owner: this.owner });
  }
}

/** The SharedWorker beside this file. */
class WorkerTransport {
  /** @param {Link} link */
  static async open(link) {
    if (typeof globalThis.SharedWorker !== 'function') return null;
    const worker = new SharedWorker(new URL('./markunread-budget-worker.js', import.meta.url), { type: 'module', name: WORKER_NAME });
    const t = new WorkerTransport(link, worker);
    const ok = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), WORKER_READY_TIMEOUT_MS);
      t.onReady = () => { clearTimeout(timer); resolve(true); };
      t.onFail = () => { clearTimeout(timer); resolve(false); };
      worker.port.postMessage({ type: 'hello', owner: link.owner, locked: link.locked });
    });
    if (!ok) {
      t.close();
      return null;
    }
    t.onFail = () => link.failOver(t);
    return t;
  }

  constructor(link, worker) {
    this.link = link;
    this.port = worker.port;
    this.reserves = [];
    this.onReady = null;
    this.onFail = null;
    worker.addEventListener('error', () => this.onFail?.());
    this.port.addEventListener('message', (e) => {
      const type = ownValue(e.data, 'type');
      if (type === 'ready') this.onReady?.();
      else if (type === 'grants') {
        const ids = ownValue(e.data, 'ids');
        if (!Array.isArray(ids)) return;
        for (const id of ids) if (Number.isSafeInteger(id)) link.granted(id);
      } else if (type === 'held') heldFrom(link, e.data);
    });
    this.port.addEventListener('messageerror', () => this.onFail?.());
    this.port.start();
  }

  // Reservations made in one task (a client starting many requests at
  // once) go as one message, and come back granted as one.
  send(msg) {
    if (msg.type !== 'reserve') {
      this.flush();
      this.port.postMessage(msg);
      return;
    }
    if (this.reserves.length === 0) queueMicrotask(() => this.flush());
    this.reserves.push({ id: msg.id, portal: msg.portal, limits: msg.limits });
  }

  flush() {
    if (this.reserves.length === 0) return;
    const items = this.reserves;
    this.reserves = [];
    this.port.postMessage({ type: 'reserve', owner: this.link.owner, items });
  }

  close() {
    try {
      this.port.postMessage({ type: 'bye', owner: this.link.owner });
      this.port.close();
    } catch {
      // already gone
    }
  }
}

/**
 * Web Locks leader election over a BroadcastChannel: every tab is a client
 * on the channel; the one holding the leader lock also runs the hub.
 */
class LeaderTransport {
  /** @param {Link} link */
  static open(link) {
    const locks = globalThis.navigator?.locks;
    if (typeof globalThis.BroadcastChannel !== 'function' || locks === undefined || typeof locks.request !== 'function') return null;
    return new LeaderTransport(link, locks);
  }

  constructor(link, locks) {
    this.link = link;
    this.locks = locks;
    this.channel = new BroadcastChannel(CHANNEL_NAME);
    this.hub = null; // set while this tab leads
    /** @type {Map<string, {level: number, at: number, limits: Limits}>} the last state each leader announced */
    this.states = new Map();
    this.watched = new Set();
    this.closed = false;
    this.channel.addEventListener('message', (e) => this.receive(e.data));
    locks.request(LEADER_LOCK, () => this.lead()).catch(() => {});
    // A leader already running answers with the holds not yet lifted.
    this.channel.postMessage({ type: 'hello', owner: link.owner, locked: link.locked });
  }

  // Runs while this tab holds the leader lock: until the page goes.
  lead() {
    if (this.closed) return undefined;
    const hub = new BudgetHub((owner, id) => {
      if (owner === this.link.owner) this.link.granted(id);
      else this.channel.postMessage({ type: 'grant', owner, id });
    });
    hub.onHold = (portal, method, until, from) => {
      this.channel.postMessage({ type: 'held', portal, method, until, from });
      if (from !== this.link.owner) this.link.held(portal, method, until, null);
    };
    const now = Date.now();
    for (const [portal, state] of this.states) hub.ledger.adopt(portal, state, now);
    // The holds this tab heard go on, for the tabs that say hello later.
    for (const h of this.link.holds.active(now)) hub.holds.note({ portal: h.portal, method: h.method, until: h.until });
    hub.onGrants = (granted, at) => {
      for (const portal of new Set(granted.map((g) => g.portal))) {
        const s = hub.ledger.snapshot(portal, at);
        if (s !== null) this.channel.postMessage({ type: 'state', portal, ...s });
      }
    };
    this.hub = hub;
    this.channel.postMessage({ type: 'leader', owner: this.link.owner });
    for (const [id, w] of this.link.waiting) hub.reserve(w.portal, w.limits, this.link.owner, id);
    return new Promise((release) => { this.release = release; });
  }

  watch(owner) {
    if (this.watched.has(owner) || owner === this.link.owner) return;
    this.watched.add(owner);
    this.locks.request(CLIENT_LOCK_PREFIX + owner, () => {
      this.watched.delete(owner);
      this.hub?.drop(owner);
    }).catch(() => {});
  }

  receive(msg) {
    const type = ownValue(msg, 'type');
    const owner = ownValue(msg, 'owner');
    if (type === 'grant') {
      const id = ownValue(msg, 'id');
      if (owner === this.link.owner && Number.isSafeInteger(id)) this.link.granted(id);
      return;
    }
    if (type === 'held') {
      const to = ownValue(msg, 'to');
      if (to !== undefined && to !== this.link.owner) return;
      if (ownValue(msg, 'from') !== this.link.owner) heldFrom(this.link, msg);
      return;
    }
    if (type === 'leader') {
      // A new leader: whatever this tab waits for, it asks again (the
      // ledger ignores repeats).
      for (const [id, w] of this.link.waiting) {
        this.channel.postMessage({ type: 'reserve', owner: this.link.owner, id, portal: w.portal, limits: w.limits, locked: this.link.locked });
      }
      return;
    }
    const portal = ownValue(msg, 'portal');
    const limits = parseLimits(ownValue(msg, 'limits'));
    if (type === 'state') {
      const level = ownValue(msg, 'level');
      const at = ownValue(msg, 'at');
      if (typeof portal === 'string' && limits !== null && typeof level === 'number' && typeof at === 'number') {
        this.states.set(portal, { level, at, limits });
      }
      return;
    }
    if (this.hub === null || typeof owner !== 'string') return;
    this.apply(owner, type, portal, limits, ownValue(msg, 'id'), ownValue(msg, 'locked') === true, msg);
  }

  apply(owner, type, portal, limits, id, locked, msg) {
    if (locked) this.watch(owner);
    if (type === 'bye') {
      this.hub.drop(owner);
      return;
    }
    if (type === 'hello') {
      for (const h of this.hub.activeHolds(Date.now())) this.channel.postMessage({ type: 'held', ...h, to: owner });
      return;
    }
    if (type === 'hold') {
      holdInto(this.hub, owner, msg);
      return;
    }
    if (type === 'cancel' && Number.isSafeInteger(id)) {
      this.hub.cancel(owner, id);
      return;
    }
    if (typeof portal !== 'string' || limits === null) return;
    if (type === 'reserve' && Number.isSafeInteger(id)) this.hub.reserve(portal, limits, owner, id);
    else if (type === 'full') this.hub.full(portal, limits);
    else if (type === 'limits') this.hub.setLimits(portal, limits);
  }

  send(msg) {
    if (this.hub !== null) {
      this.apply(msg.owner, msg.type, msg.portal, msg.limits, msg.id, false, msg);
      if (msg.type === 'limits' || msg.type === 'full') this.channel.postMessage({ type: 'state', portal: msg.portal, ...this.hub.ledger.snapshot(msg.portal, Date.now()) });
      return;
    }
    this.channel.postMessage({ ...msg, locked: this.link.locked });
  }

  close() {
    this.closed = true;
    this.channel.postMessage({ type: 'bye', owner: this.link.owner });
    this.release?.();
    this.channel.close();
  }
}

/** A bucket in this page only, for the clients of this page. */
class PageTransport {
  /** @param {Link} link */
  constructor(link) {
    this.hub = new BudgetHub((owner, id) => link.granted(id));
    // The page is the only owner: the link has told its watchers already.
  }

  send(msg) {
    const limits = parseLimits(msg.limits);
    if (msg.type === 'hold') return;
    if (msg.type === 'cancel') this.hub.cancel(msg.owner, msg.id);
    else if (limits === null) return;
    else if (msg.type === 'reserve') this.hub.reserve(msg.portal, limits, msg.owner, msg.id);
    else if (msg.type === 'full') this.hub.full(msg.portal, limits);
    else if (msg.type === 'limits') this.hub.setLimits(msg.portal, limits);
  }
}

function tellWatcher(w, method, until) {
  try {
    w.listener(method, until);
  } catch {
    // a listener's failure is its own
  }
}

/** A 'held' message from the bucket, to the link's watchers. */
function heldFrom(link, msg) {
  const h = parseHold(msg);
  if (h !== null) link.held(h.portal, h.method, h.until, null);
}

/** A client's 'hold' message, into the hub that relays it. */
function holdInto(hub, owner, msg) {
  const h = parseHold(msg);
  if (h !== null) hub.hold(h.portal, h.method, h.until, owner);
}

/** @type {Map<string, Link>} one link per preferred transport ('' = best available) */
const links = new Map();

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
  let via;
  if (options !== undefined && options !== null) {
    via = ownValue(options, 'via');
    if (via !== undefined && via !== 'shared-worker' && via !== 'leader' && via !== 'page') {
      throw new TypeError('markunread budget: options.via must be "shared-worker", "leader" or "page"');
    }
  }
  const link = linkFor(via);
  /** @type {Set<number>} this budget's waiting reservations */
  const mine = new Set();
  let closed = false;
  const self = {}; // this budget, as the watchers know it

  return Object.freeze({
    /**
     * Resolves when one request to the portal may go now; it is counted in
     * the shared bucket. Rejects once the budget is closed, or with the
     * signal's reason when options.signal aborts while it waits (then it
     * costs nothing).
     * @param {{signal?: AbortSignal}} [options]
     * @returns {Promise<void>}
     */
    reserve(options) {
      if (closed) return Promise.reject(new Error('markunread budget: closed'));
      const signal = options === undefined || options === null ? undefined : ownValue(options, 'signal');
      if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
        return Promise.reject(new TypeError('markunread budget: options.signal must be an AbortSignal'));
      }
      if (signal?.aborted) return Promise.reject(signal.reason);
      const { id, promise } = link.reserve(portal, current);
      mine.add(id);
      const onAbort = () => link.cancel(id, signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      return promise.finally(() => {
        mine.delete(id);
        signal?.removeEventListener('abort', onAbort);
      });
    },
    /** The portal answered QUERY_LIMIT_EXCEEDED: fill the shared bucket to the brim. */
    full() {
      if (!closed) link.tell({ type: 'full', portal, limits: current }).catch(() => {});
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
      return link.watch({ portal, listener, from: self });
    },
    /** A learned plan: the shared bucket of this portal uses it from now on. @param {Limits} next */
    setLimits(next) {
      current = checkedLimits(next);
      if (!closed) link.tell({ type: 'limits', portal, limits: current }).catch(() => {});
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

/**
 * Remembers a portal's plan for the next page load (localStorage). Returns
 * whether it was stored; never throws (storage may be blocked or full).
 * @param {string | URL} portalOrigin
 * @param {Limits} plan
 */
export function rememberPlan(portalOrigin, plan) {
  try {
    const limits = parseLimits(plan);
    if (limits === null) return false;
    globalThis.localStorage.setItem(PLAN_KEY_PREFIX + portalKey(portalOrigin), JSON.stringify(limits));
    return true;
  } catch {
    return false;
  }
}

/**
 * The plan remembered for a portal, or null: none, unreadable, not a plan,
 * or storage blocked. Only own properties of the stored JSON count.
 * @param {string | URL} portalOrigin
 * @returns {Limits | null}
 */
export function recallPlan(portalOrigin) {
  try {
    const raw = globalThis.localStorage.getItem(PLAN_KEY_PREFIX + portalKey(portalOrigin));
    if (typeof raw !== 'string') return null;
    return parseLimits(JSON.parse(raw));
  } catch {
    return null;
  }
}

// ---- the module's side of the bridge ----------------------------------------
// The Go core (wasm/browser/budget.go) asks the shim for
//   budget(portal) -> {reserve(perSecond, burst) -> Promise, full()}
//   plans          =  {recall(portal) -> {perSecond, burst} | null, remember(portal, perSecond, burst)}
// These two adapt the API above to that shape.

/**
 * The module's budget(portal): a shared budget whose reserve takes the plan
 * the module is using. The first reservation opens the portal's shared
 * bucket with it (unless another client opened it already); a later change
 * of plan by this client (it learned one) becomes the bucket's plan for all.
 * @param {string} portal
 * @param {{via?: BudgetVia}} [options]
 */
export function budgetForModule(portal, options) {
  let budget = null;
  let told = null;
  const me = {}; // this module, as the watchers know it
  const via = options === undefined || options === null ? undefined : ownValue(options, 'via');
  return Object.freeze({
    /**
     * @param {number} perSecond @param {number} burst
     * @param {AbortSignal} [signal] gives the reservation up while it waits
     */
    reserve(perSecond, burst, signal) {
      try {
        const plan = checkedLimits({ perSecond, burst });
        if (budget === null) budget = createBudget(portal, plan, options);
        else if (told.perSecond !== plan.perSecond || told.burst !== plan.burst) budget.setLimits(plan);
        told = plan;
        return budget.reserve(signal === undefined ? undefined : { signal });
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
      return linkFor(via).watch({ portal: portalKey(portal), listener, from: me });
    },
  });
}

/** The module's plans store: recallPlan and rememberPlan, never throwing. */
export const plansForModule = Object.freeze({
  /** @param {string} portal */
  recall(portal) {
    return recallPlan(portal);
  },
  /** @param {string} portal @param {number} perSecond @param {number} burst */
  remember(portal, perSecond, burst) {
    rememberPlan(portal, { perSecond, burst });
  },
});
