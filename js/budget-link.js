// markunread budget link: this page's one connection to wherever the shared
// bucket lives (budget-transports.js). Every budget of the page reserves
// through it; it keeps what is waiting, so that a change of transport (the
// worker failed to start, a leader went) resends it and nothing is lost.
// What the hub tells a client arrives here, in Link.receive, checked once.
import { HoldBook, RoomBook, parseCount, parseHold, parseRoom } from './budget-core.js';
import { ownValue } from './own.js';
import { LeaderTransport, PageTransport, WorkerTransport } from './budget-transports.js';

const CLIENT_LOCK_PREFIX = 'markunread-budget-client:';

/** @typedef {import('./budget-ledger.js').Limits} Limits */
/** @typedef {import('./budget-ledger.js').Count} Count */
/** @typedef {'shared-worker' | 'leader' | 'page'} BudgetVia */
/** @typedef {{send(message: Record<string, unknown>): void, close?(): void}} Transport */
/**
 * A listener of one budget: it hears what the portal's other clients tell,
 * never what its own budget (from) told.
 * @template {(...args: never[]) => void} L
 * @typedef {{portal: string, listener: L, from: object}} Watcher
 */

export class Link {
  /** @param {BudgetVia | undefined} prefer */
  constructor(prefer) {
    this.owner = newOwner();
    this.nextId = 1;
    /** @type {Map<number, {portal: string, limits: Limits, resolve: (count: Count | undefined) => void, reject: (e: unknown) => void}>} */
    this.waiting = new Map();
    /** @type {BudgetVia} */
    this.via = 'page';
    /** @type {Transport | null} */
    this.transport = null;
    this.locked = false;
    /** @type {(() => void) | null} */
    this.lockRelease = null;
    /** @type {Set<Watcher<(method: string, until: number) => void>>} */
    this.holdWatchers = new Set();
    /** @type {Set<Watcher<(others: number, at: number, hold: number) => void>>} */
    this.roomWatchers = new Set();
    /** @type {HoldBook<{portal: string, method: string, until: number, from: object | null}>} the holds heard */
    this.holds = new HoldBook();
    /** @type {RoomBook<{portal: string, others: number, at: number, hold: number, from: object | null}>} the latest room per portal */
    this.rooms = new RoomBook();
    this.ready = this.start(prefer);
  }

  /** @param {BudgetVia | undefined} prefer */
  async start(prefer) {
    await this.holdClientLock();
    /** @type {BudgetVia[]} */
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
          held(undefined);
          return new Promise((release) => { this.lockRelease = () => release(undefined); });
        }).catch(failed);
      });
      this.locked = true;
    } catch {
      this.locked = false;
    }
  }

  /** @param {BudgetVia} via @param {Transport} transport */
  use(via, transport) {
    this.via = via;
    this.transport = transport;
    for (const [id, w] of this.waiting) transport.send({ type: 'reserve', owner: this.owner, id, portal: w.portal, limits: w.limits });
  }

  /** The transport failed after it started: move to the next one, resending what waits. @param {Transport} from */
  failOver(from) {
    if (this.transport !== from) return;
    const next = from instanceof WorkerTransport ? LeaderTransport.open(this) : null;
    if (next !== null) this.use('leader', next);
    else this.use('page', new PageTransport(this));
  }

  /**
   * A reservation: its id, and a promise that resolves on its grant, with
   * the portal's count before it (undefined from a hub that does not count).
   * @param {string} portal @param {Limits} limits
   * @returns {{id: number, promise: Promise<Count | undefined>}}
   */
  reserve(portal, limits) {
    const id = this.nextId++;
    /** @type {Promise<Count | undefined>} */
    const promise = new Promise((resolve, reject) => {
      this.waiting.set(id, { portal, limits, resolve, reject });
    });
    if (this.transport !== null) this.transport.send({ type: 'reserve', owner: this.owner, id, portal, limits });
    return { id, promise };
  }

  /**
   * What the hub tells this client, through whichever transport: checked
   * here, once.
   * @param {unknown} message
   */
  receive(message) {
    switch (ownValue(message, 'type')) {
      case 'grants': {
        const ids = ownValue(message, 'ids');
        const counts = ownValue(message, 'counts');
        if (!Array.isArray(ids)) return;
        for (let i = 0; i < ids.length; i++) {
          if (Number.isSafeInteger(ids[i])) this.granted(ids[i], Array.isArray(counts) ? parseCount(counts[i]) : undefined);
        }
        return;
      }
      case 'held': {
        const h = parseHold(message);
        if (h !== null) this.held(h.portal, h.method, h.until, null);
        return;
      }
      case 'known': {
        const r = parseRoom(message);
        if (r !== null) this.known(r.portal, r.others, r.at, r.hold, null);
        return;
      }
      default: // 'ready' is the worker transport's to wait for
    }
  }

  /**
   * A client of this page met the operating-time limit: the page's other
   * budgets of the portal hear it now, other tabs through the bucket.
   * @param {string} portal @param {string} method @param {number} until @param {object} from
   */
  hold(portal, method, until, from) {
    this.held(portal, method, until, from);
    this.tell({ type: 'hold', portal, method, until });
  }

  /**
   * Tells the watchers of portal of a hold, but not the budget it came from.
   * @param {string} portal @param {string} method @param {number} until @param {object | null} from
   */
  held(portal, method, until, from) {
    this.holds.note({ portal, method, until, from });
    for (const w of this.holdWatchers) {
      if (w.portal === portal && w.from !== from) tellWatcher(w.listener, method, until);
    }
  }

  /**
   * A client of this page learned how much the portal's other apps spend:
   * the page's other budgets of the portal hear it now, other tabs through
   * the bucket.
   * @param {string} portal @param {number} others @param {number} at @param {number} hold @param {object} from
   */
  room(portal, others, at, hold, from) {
    this.known(portal, others, at, hold, from);
    this.tell({ type: 'room', portal, others, at, hold });
  }

  /**
   * Keeps an estimate of portal's room if it is the newest, and tells the
   * portal's watchers of it, but not the budget it came from.
   * @param {string} portal @param {number} others @param {number} at @param {number} hold @param {object | null} from
   */
  known(portal, others, at, hold, from) {
    if (!this.rooms.note({ portal, others, at, hold, from })) return;
    for (const w of this.roomWatchers) {
      if (w.portal === portal && w.from !== from) tellWatcher(w.listener, others, at, hold);
    }
  }

  /**
   * Adds a watcher of holds, which hears at once the holds of its portal not yet lifted.
   * @param {Watcher<(method: string, until: number) => void>} w
   */
  watchHolds(w) {
    this.holdWatchers.add(w);
    for (const h of this.holds.active(Date.now())) {
      if (h.portal === w.portal && h.from !== w.from) tellWatcher(w.listener, h.method, h.until);
    }
    return () => { this.holdWatchers.delete(w); };
  }

  /**
   * Adds a watcher of the room, which hears at once the latest estimate of
   * its portal (unless it is its own).
   * @param {Watcher<(others: number, at: number, hold: number) => void>} w
   */
  watchRoom(w) {
    this.roomWatchers.add(w);
    const r = this.rooms.latest(w.portal);
    if (r !== undefined && r.from !== w.from) tellWatcher(w.listener, r.others, r.at, r.hold);
    return () => { this.roomWatchers.delete(w); };
  }

  /** @param {number} id @param {Count | undefined} count */
  granted(id, count) {
    const w = this.waiting.get(id);
    if (w === undefined) return; // cancelled, or granted twice across a hand-over
    this.waiting.delete(id);
    w.resolve(count);
  }

  /** Gives up a waiting reservation: it rejects with reason. @param {number} id @param {unknown} reason */
  cancel(id, reason) {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.waiting.delete(id);
    this.transport?.send({ type: 'cancel', owner: this.owner, id });
    w.reject(reason);
  }

  /**
   * Sends a client's message (full, limits, hold, room) now, in order with
   * the reservations, or once the transport is up.
   * @param {Record<string, unknown>} msg
   */
  tell(msg) {
    const m = { ...msg, owner: this.owner };
    if (this.transport !== null) this.transport.send(m);
    else this.ready.then(() => this.transport?.send(m)).catch(() => {});
  }
}

/**
 * @template {unknown[]} A
 * @param {(...args: A) => void} listener @param {A} args
 */
function tellWatcher(listener, ...args) {
  try {
    listener(...args);
  } catch {
    // a listener's failure is its own
  }
}

function newOwner() {
  const c = globalThis.crypto;
  if (c !== undefined && typeof c.randomUUID === 'function') return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
