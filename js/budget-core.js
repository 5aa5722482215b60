// markunread budget core: the leaky bucket that one browser shares per
// portal, and the FIFO line of reservations waiting on it. No DOM, no
// timers of its own: time is an input, so node:test drives it with a fake
// clock. The SharedWorker (markunread-budget-worker.js), the elected leader
// tab and the page-local fallback (budget.js) all run this same code.

/**
 * The share of a second of drain the bucket keeps free, as the Go core does:
 * a request that the client counts at one moment reaches the portal a little
 * later or earlier, and this headroom absorbs that jitter.
 */
export const JITTER_ALLOWANCE_SECONDS = 0.25;

/**
 * The part of the portal's burst a client fills: all of it but
 * ceil(perSecond * 0.25), and at least one request. The same arithmetic as
 * the Go core's capacity.
 * @param {{perSecond: number, burst: number}} limits
 */
export function capacity(limits) {
  const headroom = Math.ceil(limits.perSecond * JITTER_ALLOWANCE_SECONDS);
  return Math.max(1, limits.burst - Math.max(1, headroom));
}

/**
 * Checks {perSecond, burst} by own properties only and returns a fresh plain
 * copy, or null when it is not a plan: perSecond a finite number above 0,
 * burst an integer of at least 1.
 * @param {unknown} value
 * @returns {{perSecond: number, burst: number} | null}
 */
export function parseLimits(value) {
  if (value === null || typeof value !== 'object') return null;
  const perSecond = ownValue(value, 'perSecond');
  const burst = ownValue(value, 'burst');
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0) return null;
  if (typeof burst !== 'number' || !Number.isSafeInteger(burst) || burst < 1) return null;
  return { perSecond, burst };
}

/** A hold message's fields, checked, or null. */
export function parseHold(msg) {
  const portal = ownValue(msg, 'portal');
  const method = ownValue(msg, 'method');
  const until = ownValue(msg, 'until');
  if (typeof portal !== 'string' || typeof method !== 'string' || method === '' || method.length > 100) return null;
  if (typeof until !== 'number' || !Number.isFinite(until)) return null;
  return { portal, method, until };
}

/**
 * HoldBook keeps the operating-time holds not yet lifted: per portal and
 * method, the one that lifts last. What else a hold carries rides along.
 * @template {{portal: string, method: string, until: number}} H
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

/** The value of an own data property of obj, or undefined; never a getter's. */
export function ownValue(obj, name) {
  if (obj === null || typeof obj !== 'object') return undefined;
  const d = Object.getOwnPropertyDescriptor(obj, name);
  return d !== undefined && Object.hasOwn(d, 'value') ? d.value : undefined;
}

/**
 * LeakyBucket mirrors the portal's limiter: every request lifts the level
 * by 1, the level drains continuously at perSecond, and a request that would
 * lift it past the capacity (the burst less the headroom) waits. Times are
 * milliseconds passed in by the caller.
 */
export class LeakyBucket {
  /**
   * @param {{perSecond: number, burst: number}} limits
   * @param {number} now
   */
  constructor(limits, now) {
    this.limits = limits;
    this.level = 0;
    this.at = now;
  }

  /** @param {number} now */
  drain(now) {
    if (now > this.at) {
      this.level = Math.max(0, this.level - ((now - this.at) / 1000) * this.limits.perSecond);
      this.at = now;
    }
  }

  /**
   * Milliseconds from now until one more request fits: 0 when it fits now.
   * Rounded up to the millisecond, so a caller that waits that long finds it
   * fits.
   * @param {number} now
   */
  delay(now) {
    this.drain(now);
    const over = this.level + 1 - capacity(this.limits);
    if (over <= 0) return 0;
    return Math.floor((over / this.limits.perSecond) * 1000) + 1;
  }

  /** Counts one request sent at now. @param {number} now */
  add(now) {
    this.drain(now);
    this.level += 1;
  }

  /** The portal said its bucket is full: fill this one to the brim. @param {number} now */
  fill(now) {
    this.drain(now);
    this.level = Math.max(this.level, capacity(this.limits));
  }

  /**
   * A new plan. The level carries over: what was sent is still in the
   * portal's bucket.
   * @param {{perSecond: number, burst: number}} limits
   * @param {number} now
   */
  setLimits(limits, now) {
    this.drain(now);
    this.limits = limits;
    // A smaller plan (a larger one that a 503 disproved) starts at its own
    // brim at most: a level counted against the larger bucket would hold
    // every client back for far longer than the portal does.
    this.level = Math.min(this.level, capacity(limits));
  }
}

/**
 * BudgetLedger holds one LeakyBucket per portal origin and the line of
 * reservations waiting on each, in the order they arrived, whichever client
 * (tab, frame) made them. grant() hands out every reservation that fits now
 * and says when to call it again; the caller owns the timer.
 *
 * A reservation belongs to an owner (one client connection). drop(owner)
 * removes its waiting reservations: a tab that closed or crashed never holds
 * budget. A reservation already granted is spent whether or not its owner
 * still listens, so nothing granted is ever counted twice or lost from the
 * bucket's view.
 */
export class BudgetLedger {
  constructor() {
    /** @type {Map<string, {bucket: LeakyBucket, line: Array<{owner: string, id: number}>}>} */
    this.portals = new Map();
  }

  /**
   * Opens portal with limits unless it is already open: a second tab's
   * defaults never override a plan another tab has set.
   * @param {string} portal
   * @param {{perSecond: number, burst: number}} limits
   * @param {number} now
   */
  open(portal, limits, now) {
    let p = this.portals.get(portal);
    if (p === undefined) {
      p = { bucket: new LeakyBucket(limits, now), line: [] };
      this.portals.set(portal, p);
    }
    return p;
  }

  /**
   * Puts a reservation at the end of portal's line. A repeated (owner, id)
   * is ignored, so a client may resend what it is waiting for.
   */
  reserve(portal, limits, owner, id, now) {
    const p = this.open(portal, limits, now);
    if (!p.line.some((r) => r.owner === owner && r.id === id)) p.line.push({ owner, id });
  }

  /** The portal answered QUERY_LIMIT_EXCEEDED. */
  full(portal, limits, now) {
    this.open(portal, limits, now).bucket.fill(now);
  }

  /** A learned plan for portal. */
  setLimits(portal, limits, now) {
    const p = this.portals.get(portal);
    if (p === undefined) this.open(portal, limits, now);
    else p.bucket.setLimits(limits, now);
  }

  /** Removes one waiting reservation (its client gave it up). */
  cancel(owner, id) {
    for (const p of this.portals.values()) {
      p.line = p.line.filter((r) => r.owner !== owner || r.id !== id);
    }
  }

  /** Removes every waiting reservation of owner. */
  drop(owner) {
    for (const p of this.portals.values()) {
      p.line = p.line.filter((r) => r.owner !== owner);
    }
  }

  /**
   * Grants, in line order, every reservation that fits at now, counting each
   * in its portal's bucket. Returns them and the milliseconds until the next
   * one fits (Infinity when nothing waits).
   * @param {number} now
   * @returns {{granted: Array<{portal: string, owner: string, id: number}>, nextMs: number}}
   */
  grant(now) {
    const granted = [];
    let nextMs = Infinity;
    for (const [portal, p] of this.portals) {
      while (p.line.length > 0) {
        const wait = p.bucket.delay(now);
        if (wait > 0) {
          nextMs = Math.min(nextMs, wait);
          break;
        }
        const r = p.line.shift();
        p.bucket.add(now);
        granted.push({ portal, owner: r.owner, id: r.id });
      }
    }
    return { granted, nextMs };
  }

  /** The bucket's state of portal at now, to hand over to a new leader. */
  snapshot(portal, now) {
    const p = this.portals.get(portal);
    if (p === undefined) return null;
    p.bucket.drain(now);
    return { level: p.bucket.level, at: now, limits: p.bucket.limits };
  }

  /**
   * Takes over the state {level, at, limits} another leader announced (at on
   * the same clock as now): drained to now, the higher level wins, so a
   * hand-over never forgets spending.
   */
  adopt(portal, state, now) {
    const p = this.open(portal, state.limits, now);
    p.bucket.drain(now);
    const level = state.level - (Math.max(0, now - state.at) / 1000) * state.limits.perSecond;
    if (level > p.bucket.level) p.bucket.level = level;
  }

  /** The portals this ledger holds. */
  portalNames() {
    return [...this.portals.keys()];
  }
}

/**
 * BudgetHub runs a BudgetLedger with a clock and a timer: the one object
 * the SharedWorker, a leader tab or a page holds. send(owner, id) delivers a
 * grant. now() and the timer functions are injectable for tests.
 */
export class BudgetHub {
  /**
   * @param {(owner: string, id: number, portal: string) => void} send
   * @param {{now?: () => number, setTimeout?: typeof setTimeout, clearTimeout?: typeof clearTimeout}} [clock]
   */
  constructor(send, clock = {}) {
    this.ledger = new BudgetLedger();
    this.send = send;
    this.now = clock.now ?? (() => Date.now());
    this.setTimer = clock.setTimeout ?? ((f, ms) => setTimeout(f, ms));
    this.clearTimer = clock.clearTimeout ?? ((t) => clearTimeout(t));
    this.timer = undefined;
    this.timerAt = Infinity;
    /** Called with the grants of a pump that granted any (a leader announces its state then). */
    this.onGrants = null;
    /** Called with each hold, to relay it to the clients but its sender. */
    this.onHold = null;
    this.holds = new HoldBook();
  }

  /**
   * A client met OPERATION_TIME_LIMIT: method of portal is blocked until
   * until (epoch ms). The hub keeps it for clients that connect later and
   * relays it through onHold.
   * @param {string} portal @param {string} method @param {number} until @param {string} owner
   */
  hold(portal, method, until, owner) {
    this.holds.note({ portal, method, until });
    this.onHold?.(portal, method, until, owner);
  }

  /** The holds not yet lifted at now. @param {number} now */
  activeHolds(now) {
    return this.holds.active(now);
  }

  reserve(portal, limits, owner, id) {
    this.ledger.reserve(portal, limits, owner, id, this.now());
    this.pump();
  }

  /** Several reservations, in order, granted in one pump. @param {Array<{portal: string, limits: {perSecond: number, burst: number}, owner: string, id: number}>} items */
  reserveAll(items) {
    const now = this.now();
    for (const r of items) this.ledger.reserve(r.portal, r.limits, r.owner, r.id, now);
    this.pump();
  }

  full(portal, limits) {
    this.ledger.full(portal, limits, this.now());
    this.pump();
  }

  setLimits(portal, limits) {
    this.ledger.setLimits(portal, limits, this.now());
    this.pump();
  }

  drop(owner) {
    this.ledger.drop(owner);
    this.pump();
  }

  cancel(owner, id) {
    this.ledger.cancel(owner, id);
    this.pump();
  }

  /** Grants what fits now and sets the timer for the next. */
  pump() {
    const now = this.now();
    const { granted, nextMs } = this.ledger.grant(now);
    for (const g of granted) {
      try {
        this.send(g.owner, g.id, g.portal);
      } catch {
        // An owner that cannot be reached has spent its grant.
      }
    }
    if (granted.length > 0 && this.onGrants !== null) this.onGrants(granted, now);
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
