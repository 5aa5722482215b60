// markunread budget transports: the three places the shared bucket can live,
// best first. Each only carries messages: a client's to the BudgetHub's
// receive (budget-core.js, where the protocol is), the hub's to the
// client's Link.receive (budget-link.js).
//  1. WorkerTransport: a SharedWorker (markunread-budget-worker.js beside
//     this file), one for the origin, holding a bucket per portal origin;
//  2. LeaderTransport, where SharedWorker is missing (Chrome on Android) or
//     blocked: the tab that holds the Web Lock LEADER_LOCK runs the hub and
//     the others talk to it over the BroadcastChannel CHANNEL_NAME; when it
//     goes, the next tab takes the lock and the bucket's last announced
//     state;
//  3. PageTransport, with neither: a hub in this page, for the clients of
//     the page.
//
// On the leader's channel every message is one of:
//   {...a client's message, owner, locked}  to the hub, from client owner
//   {...the hub's message, to}              to client to only
//   {...the hub's message, from}            a relay: to every client but from
//   {type: 'leader', from}                  from took the lead: resend what waits
//   {type: 'state', portal, level, at, limits}  the leader's bucket, for the next leader
import { BudgetHub, parseState } from './budget-core.js';
import { ownValue } from './own.js';

// The worker's and the channel's names carry the protocol's version: a tab
// of an older version still open keeps its own worker (or leader) instead
// of talking past this one.
const WORKER_NAME = 'markunread-budget/3';
const CHANNEL_NAME = 'markunread-budget/3';
const LEADER_LOCK = 'markunread-budget-leader/3';
const CLIENT_LOCK_PREFIX = 'markunread-budget-client:';
const WORKER_READY_TIMEOUT_MS = 3000;

/** @typedef {import('./budget-link.js').Link} Link */
/** @typedef {import('./budget-ledger.js').Limits} Limits */

/** The SharedWorker beside this file. */
export class WorkerTransport {
  /** @param {Link} link @returns {Promise<WorkerTransport | null>} */
  static async open(link) {
    if (typeof globalThis.SharedWorker !== 'function') return null;
    const worker = new SharedWorker(new URL('./markunread-budget-worker.js', import.meta.url), { type: 'module', name: WORKER_NAME });
    const t = new WorkerTransport(link, worker);
    /** @type {boolean} */
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

  /** @param {Link} link @param {SharedWorker} worker */
  constructor(link, worker) {
    this.link = link;
    this.port = worker.port;
    /** @type {Array<{id: unknown, portal: unknown, limits: unknown}>} */
    this.reserves = [];
    /** @type {(() => void) | null} */
    this.onReady = null;
    /** @type {(() => void) | null} */
    this.onFail = null;
    worker.addEventListener('error', () => this.onFail?.());
    this.port.addEventListener('message', (/** @type {MessageEvent<unknown>} */ e) => {
      if (ownValue(e.data, 'type') === 'ready') this.onReady?.();
      else link.receive(e.data);
    });
    this.port.addEventListener('messageerror', () => this.onFail?.());
    this.port.start();
  }

  // Reservations made in one task (a client starting many requests at
  // once) go as one message, and come back granted as one.
  /** @param {Record<string, unknown>} msg */
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
export class LeaderTransport {
  /** @param {Link} link */
  static open(link) {
    const locks = globalThis.navigator?.locks;
    if (typeof globalThis.BroadcastChannel !== 'function' || locks === undefined || typeof locks.request !== 'function') return null;
    return new LeaderTransport(link, locks);
  }

  /** @param {Link} link @param {LockManager} locks */
  constructor(link, locks) {
    this.link = link;
    this.locks = locks;
    this.channel = new BroadcastChannel(CHANNEL_NAME);
    /** @type {BudgetHub | null} set while this tab leads */
    this.hub = null;
    /** @type {(() => void) | null} */
    this.release = null;
    /** @type {Map<string, {portal: string, level: number, at: number, limits: Limits}>} the last state each leader announced */
    this.states = new Map();
    /** @type {Set<string>} the clients whose lock this leader waits for */
    this.watched = new Set();
    this.closed = false;
    this.channel.addEventListener('message', (/** @type {MessageEvent<unknown>} */ e) => this.carry(e.data));
    locks.request(LEADER_LOCK, () => this.lead()).catch(() => {});
    // A leader already running answers with the holds not yet lifted and
    // the room known.
    this.post({ type: 'hello', owner: link.owner });
  }

  // Runs while this tab holds the leader lock: until the page goes.
  lead() {
    if (this.closed) return undefined;
    const me = this.link.owner;
    const hub = new BudgetHub({
      send: (owner, message) => {
        if (owner === me) this.link.receive(message);
        else this.channel.postMessage({ ...message, to: owner });
      },
      relay: (from, message) => {
        this.channel.postMessage({ ...message, from });
        if (from !== me) this.link.receive(message);
      },
      watchClient: (owner) => this.watch(owner),
      spent: (portals) => {
        for (const portal of portals) {
          const s = hub.snapshot(portal);
          if (s !== null) this.channel.postMessage({ type: 'state', portal, ...s });
        }
      },
    });
    // What this tab heard goes on, for the tabs that say hello later.
    hub.takeOver({ states: this.states.values(), holds: this.link.holds.active(Date.now()), rooms: this.link.rooms.all() });
    this.hub = hub;
    this.channel.postMessage({ type: 'leader', from: me });
    const items = [...this.link.waiting].map(([id, w]) => ({ id, portal: w.portal, limits: w.limits }));
    hub.receive(me, { type: 'reserve', items });
    return new Promise((release) => { this.release = () => release(undefined); });
  }

  /** Waits for owner's client lock: once granted, the client is gone. @param {string} owner */
  watch(owner) {
    if (this.watched.has(owner) || owner === this.link.owner) return;
    this.watched.add(owner);
    this.locks.request(CLIENT_LOCK_PREFIX + owner, () => {
      this.watched.delete(owner);
      this.hub?.receive(owner, { type: 'bye' });
    }).catch(() => {});
  }

  /** A message on the channel, to the hub if this tab leads, or to this client. @param {unknown} msg */
  carry(msg) {
    const owner = ownValue(msg, 'owner');
    if (owner !== undefined) {
      this.hub?.receive(owner, msg);
      return;
    }
    const to = ownValue(msg, 'to');
    if (to !== undefined && to !== this.link.owner) return;
    const from = ownValue(msg, 'from');
    if (from === this.link.owner) return;
    const type = ownValue(msg, 'type');
    if (type === 'leader') {
      // A new leader: whatever this tab waits for, it asks again (the
      // ledger ignores repeats).
      for (const [id, w] of this.link.waiting) this.post({ type: 'reserve', owner: this.link.owner, id, portal: w.portal, limits: w.limits });
    } else if (type === 'state') {
      const s = parseState(msg);
      if (s !== null) this.states.set(s.portal, s);
    } else {
      this.link.receive(msg);
    }
  }

  /** @param {Record<string, unknown>} msg a message of this client */
  send(msg) {
    if (this.hub !== null) this.hub.receive(this.link.owner, msg);
    else this.post(msg);
  }

  /** @param {Record<string, unknown>} msg */
  post(msg) {
    this.channel.postMessage({ ...msg, locked: this.link.locked });
  }

  close() {
    this.closed = true;
    this.post({ type: 'bye', owner: this.link.owner });
    this.release?.();
    this.channel.close();
  }
}

/** A hub in this page only, for the clients of this page. */
export class PageTransport {
  /** @param {Link} link */
  constructor(link) {
    // The page's clients are one owner, the link, which has told its own
    // watchers already: nothing to relay.
    this.hub = new BudgetHub({ send: (_, message) => link.receive(message), relay: () => {} });
  }

  /** @param {Record<string, unknown>} msg */
  send(msg) {
    this.hub.receive(msg.owner, msg);
  }
}
