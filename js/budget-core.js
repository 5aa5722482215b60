// markunread budget core: the budget's protocol in one place. BudgetHub
// runs the ledger (budget-ledger.js) with a clock and a timer, and its one
// receive(owner, message) checks every message a client sends and acts on
// it; what it tells clients goes out through two functions, to one client
// or to all but one. The SharedWorker (markunread-budget-worker.js), the
// elected leader tab and the page-local fallback (budget-transports.js)
// only carry messages to and from it. No DOM: time is injected, so
// node:test drives it at fixed instants.
//
// Messages (structured clone; every field read as an own data property):
//   client -> hub  {type: 'hello', locked?}  a client arrived; the hub answers
//                    'ready', then the holds not yet lifted and the room
//                    known per portal
//                  {type: 'reserve', id, portal, limits}
//                  {type: 'reserve', items: [{id, portal, limits}]}  several, one pump
//                  {type: 'cancel', id}
//                  {type: 'full', portal, limits}  the portal answered QUERY_LIMIT_EXCEEDED
//                  {type: 'limits', portal, limits}  a learned plan, for everyone
//                  {type: 'hold', portal, method, until}  the portal answered
//                    OPERATION_TIME_LIMIT: method is blocked until until (epoch ms)
//                  {type: 'room', portal, others, at, hold?}  the client learned that
//                    the portal's other apps spend others requests/s (0: nobody), at
//                    (epoch ms); the belief holds hold ms before it fades (0 or
//                    absent: the hearer's own measure)
//                  {type: 'bye'}
//                  Any of them with locked: true says that the client holds its
//                  Web Lock "markunread-budget-client:<owner>" while it lives.
//   hub -> client  {type: 'ready'}
//                  {type: 'grants', ids, counts}  one pump's grants to this client,
//                    each with its portal's {granted, refused} before it (the
//                    ledger's Count)
//                  {type: 'held', portal, method, until}  another client's hold
//                  {type: 'known', portal, others, at, hold}  another client's room
// The owner is who sent it: a port knows its client, a leader's channel
// message names it (budget-transports.js).
import { BudgetLedger } from './budget-ledger.js';
import { ownValue } from './own.js';

/** @typedef {import('./budget-ledger.js').Limits} Limits */
/** @typedef {{portal: string, method: string, until: number}} Hold */
/** @typedef {{portal: string, others: number, at: number, hold: number}} Room */

/**
 * Checks {perSecond, burst} by own properties only and returns a fresh plain
 * copy, or null when it is not a plan: perSecond a finite number above 0,
 * burst an integer of at least 1.
 * @param {unknown} value
 * @returns {Limits | null}
 */
export function parseLimits(value) {
  if (value === null || typeof value !== 'object') return null;
  const perSecond = ownValue(value, 'perSecond');
  const burst = ownValue(value, 'burst');
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0) return null;
  if (typeof burst !== 'number' || !Number.isSafeInteger(burst) || burst < 1) return null;
  return { perSecond, burst };
}

/** A hold message's fields, checked, or null. @param {unknown} msg @returns {Hold | null} */
export function parseHold(msg) {
  const portal = ownValue(msg, 'portal');
  const method = ownValue(msg, 'method');
  const until = ownValue(msg, 'until');
  if (typeof portal !== 'string' || typeof method !== 'string' || method === '' || method.length > 100) return null;
  if (typeof until !== 'number' || !Number.isFinite(until)) return null;
  return { portal, method, until };
}

/**
 * A room message's fields, checked (numbers finite and >= 0; hold may be
 * absent, which is 0), or null.
 * @param {unknown} msg @returns {Room | null}
 */
export function parseRoom(msg) {
  const portal = ownValue(msg, 'portal');
  const others = ownValue(msg, 'others');
  const at = ownValue(msg, 'at');
  const hold = ownValue(msg, 'hold') ?? 0;
  if (typeof portal !== 'string' || !isTimeOrRate(others) || !isTimeOrRate(at) || !isTimeOrRate(hold)) return null;
  return { portal, others, at, hold };
}

/**
 * A grant's count, checked (whole numbers, refused no more than granted),
 * or undefined.
 * @param {unknown} c @returns {import('./budget-ledger.js').Count | undefined}
 */
export function parseCount(c) {
  const granted = ownValue(c, 'granted');
  const refused = ownValue(c, 'refused');
  if (!Number.isSafeInteger(granted) || !Number.isSafeInteger(refused)) return undefined;
  const g = /** @type {number} */ (granted), r = /** @type {number} */ (refused);
  return r >= 0 && r <= g ? { granted: g, refused: r } : undefined;
}

/**
 * A leader's announced bucket state {portal, level, at, limits}, checked, or null.
 * @param {unknown} msg
 * @returns {{portal: string, level: number, at: number, limits: Limits} | null}
 */
export function parseState(msg) {
  const portal = ownValue(msg, 'portal');
  const level = ownValue(msg, 'level');
  const at = ownValue(msg, 'at');
  const limits = parseLimits(ownValue(msg, 'limits'));
  if (typeof portal !== 'string' || limits === null || !isTimeOrRate(level) || !isTimeOrRate(at)) return null;
  return { portal, level, at, limits };
}

/** @param {unknown} n @returns {n is number} */
function isTimeOrRate(n) {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

/**
 * The origin of a portal URL, the key of its budget everywhere, or a TypeError.
 * @param {unknown} portalOrigin
 */
export function portalKey(portalOrigin) {
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

/**
 * HoldBook keeps the operating-time holds not yet lifted: per portal and
 * method, the one that lifts last. What else a hold carries rides along.
 * @template {Hold} H
 */
export class HoldBook {
  constructor() {
    /** @type {Map<string, H>} */
    this.holds = new Map();
  }

  /** @param {H} h */
  note(h) {
    const key = `${h.portal} ${h.method}`;
    const known = this.holds.get(key);
    if (known === undefined || h.until > known.until) this.holds.set(key, h);
  }

  /** The holds not yet lifted at now (epoch ms); the others are dropped. @param {number} now @returns {H[]} */
  active(now) {
    for (const [key, h] of this.holds) if (h.until <= now) this.holds.delete(key);
    return [...this.holds.values()];
  }
}

/**
 * RoomBook keeps, per portal, the latest estimate of the room its other apps
 * leave: the one learned last (the newest at) wins, whoever learned it. An
 * estimate does not expire here; its at says how old it is, and judging
 * that is the module's. What else an estimate carries rides along.
 * @template {Room} R
 */
export class RoomBook {
  constructor() {
    /** @type {Map<string, R>} */
    this.rooms = new Map();
  }

  /** Keeps r if it is newer than what is known of its portal; says whether it did. @param {R} r */
  note(r) {
    const known = this.rooms.get(r.portal);
    if (known !== undefined && r.at <= known.at) return false;
    this.rooms.set(r.portal, r);
    return true;
  }

  /** The latest estimate of portal, or undefined. @param {string} portal */
  latest(portal) {
    return this.rooms.get(portal);
  }

  /** Every portal's latest estimate. */
  all() {
    return [...this.rooms.values()];
  }
}

/**
 * Where a hub's messages go.
 * @typedef {object} HubOut
 * @property {(owner: string, message: object) => void} send to one client
 * @property {(from: string, message: object) => void} relay to every client but from
 * @property {(owner: string) => void} [watchClient] owner said it holds its client lock
 * @property {(owner: string) => void} [gone] owner said bye (or its lock says so)
 * @property {(portals: string[]) => void} [spent] the buckets of portals changed
 *   (grants, a full portal, a plan): a leader announces their state then
 */

/**
 * BudgetHub is the one object the SharedWorker, a leader tab or a page
 * holds: a BudgetLedger with a clock and a timer, the holds and the room
 * estimates, behind receive(owner, message). It grants reservations in the
 * order they arrived, at the rate of the plan it was last given (a client
 * that learned how much room the others leave passes that rate), and never
 * past the bucket. now() and the timer functions are injectable for tests.
 */
export class BudgetHub {
  /**
   * @param {HubOut} out
   * @param {{now?: () => number, setTimeout?: (f: () => void, ms: number) => unknown, clearTimeout?: (t: unknown) => void}} [clock]
   */
  constructor(out, clock = {}) {
    this.ledger = new BudgetLedger();
    this.out = out;
    this.now = clock.now ?? (() => Date.now());
    this.setTimer = clock.setTimeout ?? ((f, ms) => setTimeout(f, ms));
    this.clearTimer = clock.clearTimeout ?? ((t) => clearTimeout(/** @type {number} */ (t))); // the default setTimeout's
    /** @type {unknown} setTimer's handle, while one is set */
    this.timer = undefined;
    this.timerAt = Infinity;
    /** @type {HoldBook<Hold>} */
    this.holds = new HoldBook();
    /** @type {RoomBook<Room>} */
    this.rooms = new RoomBook();
  }

  /**
   * A message from client owner: checked once (a message that is not one
   * of the protocol's, or whose fields do not check, changes nothing) and
   * acted on.
   * @param {unknown} owner
   * @param {unknown} message
   */
  receive(owner, message) {
    if (typeof owner !== 'string' || owner === '') return;
    if (ownValue(message, 'locked') === true) this.out.watchClient?.(owner);
    switch (ownValue(message, 'type')) {
      case 'hello': return this.hello(owner);
      case 'bye': return this.bye(owner);
      case 'reserve': return this.reserve(owner, message);
      case 'cancel': {
        const id = ownValue(message, 'id');
        if (Number.isSafeInteger(id)) this.cancel(owner, /** @type {number} */ (id));
        return;
      }
      case 'full':
      case 'limits': {
        const portal = ownValue(message, 'portal');
        const limits = parseLimits(ownValue(message, 'limits'));
        if (typeof portal !== 'string' || limits === null) return;
        if (ownValue(message, 'type') === 'full') this.ledger.full(portal, limits, this.now());
        else this.ledger.setLimits(portal, limits, this.now());
        this.out.spent?.([portal]);
        this.pump();
        return;
      }
      case 'hold': {
        const h = parseHold(message);
        if (h === null) return;
        this.holds.note(h);
        this.out.relay(owner, { type: 'held', ...h });
        return;
      }
      case 'room': {
        const r = parseRoom(message);
        // An estimate older than the one known is not news to anyone.
        if (r !== null && this.rooms.note(r)) this.out.relay(owner, { type: 'known', ...r });
        return;
      }
      default:
    }
  }

  /** @param {string} owner */
  hello(owner) {
    this.out.send(owner, { type: 'ready' });
    for (const h of this.holds.active(this.now())) this.out.send(owner, { type: 'held', ...h });
    for (const r of this.rooms.all()) this.out.send(owner, { type: 'known', ...r });
  }

  /** A client that left holds no budget: its waiting reservations go. @param {string} owner */
  bye(owner) {
    this.ledger.drop(owner);
    this.out.gone?.(owner);
    this.pump();
  }

  /** One reservation, or a task's items, granted in one pump. @param {string} owner @param {unknown} message */
  reserve(owner, message) {
    const items = ownValue(message, 'items');
    const list = Array.isArray(items) ? items : [message];
    const now = this.now();
    for (let i = 0; i < list.length; i++) {
      const portal = ownValue(list[i], 'portal');
      const limits = parseLimits(ownValue(list[i], 'limits'));
      const id = ownValue(list[i], 'id');
      if (typeof portal === 'string' && limits !== null && Number.isSafeInteger(id)) {
        this.ledger.reserve(portal, limits, owner, /** @type {number} */ (id), now);
      }
    }
    this.pump();
  }

  /** @param {string} owner @param {number} id */
  cancel(owner, id) {
    this.ledger.cancel(owner, id);
    this.pump();
  }

  /**
   * A new leader starts from what its tab heard: the buckets' last
   * announced states, the holds and the room estimates.
   * @param {{states: Iterable<{portal: string, level: number, at: number, limits: Limits}>, holds: Iterable<Hold>, rooms: Iterable<Room>}} heard
   */
  takeOver(heard) {
    const now = this.now();
    for (const s of heard.states) this.ledger.adopt(s.portal, s, now);
    for (const h of heard.holds) this.holds.note({ portal: h.portal, method: h.method, until: h.until });
    for (const r of heard.rooms) this.rooms.note({ portal: r.portal, others: r.others, at: r.at, hold: r.hold });
  }

  /** The bucket's state of portal now, for a leader to announce. @param {string} portal */
  snapshot(portal) {
    return this.ledger.snapshot(portal, this.now());
  }

  /** Grants what fits now, one message per client, and sets the timer for the next. */
  pump() {
    const now = this.now();
    const { granted, nextMs } = this.ledger.grant(now);
    if (granted.length > 0) {
      /** @type {Map<string, {ids: number[], counts: import('./budget-ledger.js').Count[]}>} */
      const byOwner = new Map();
      for (const g of granted) {
        const mine = byOwner.get(g.owner);
        if (mine === undefined) byOwner.set(g.owner, { ids: [g.id], counts: [g.count] });
        else {
          mine.ids.push(g.id);
          mine.counts.push(g.count);
        }
      }
      for (const [owner, { ids, counts }] of byOwner) {
        try {
          this.out.send(owner, { type: 'grants', ids, counts });
        } catch {
          // An owner that cannot be reached has spent its grant.
        }
      }
      this.out.spent?.([...new Set(granted.map((g) => g.portal))]);
    }
    const at = now + nextMs;
    if (at === this.timerAt) return;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (Number.isFinite(nextMs)) {
      this.timer = this.setTimer(() => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      }, nextMs);
    }
  }
}
