// markunread budget ledger: the leaky bucket that one browser keeps per
// portal, and the FIFO line of reservations waiting on it. No DOM, no
// timers: time is an input (milliseconds), so node:test drives it at fixed
// instants. BudgetHub (budget-core.js) runs it with a clock and a timer.

/** @typedef {{perSecond: number, burst: number}} Limits */
/**
 * The app's requests to a portal when one was granted: granted before it,
 * refused the 503s told so far (full). Both only grow while the ledger
 * lives, and every client's estimate of the portal's other apps counts the
 * app's requests from them (the Go core's unread.AppCount).
 * @typedef {{granted: number, refused: number}} Count
 */

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
 * @param {Limits} limits
 */
export function capacity(limits) {
  const headroom = Math.ceil(limits.perSecond * JITTER_ALLOWANCE_SECONDS);
  return Math.max(1, limits.burst - Math.max(1, headroom));
}

/**
 * LeakyBucket mirrors the portal's limiter: every request lifts the level
 * by 1, the level drains continuously at perSecond, and a request that would
 * lift it past the capacity (the burst less the headroom) waits. Times are
 * milliseconds passed in by the caller.
 */
export class LeakyBucket {
  /**
   * @param {Limits} limits
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
   * @param {Limits} limits
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
    /** @type {Map<string, {bucket: LeakyBucket, line: Array<{owner: string, id: number}>, count: Count}>} */
    this.portals = new Map();
  }

  /**
   * Opens portal with limits unless it is already open: a second tab's
   * defaults never override a plan another tab has set.
   * @param {string} portal
   * @param {Limits} limits
   * @param {number} now
   */
  open(portal, limits, now) {
    let p = this.portals.get(portal);
    if (p === undefined) {
      p = { bucket: new LeakyBucket(limits, now), line: [], count: { granted: 0, refused: 0 } };
      this.portals.set(portal, p);
    }
    return p;
  }

  /**
   * Puts a reservation at the end of portal's line. A repeated (owner, id)
   * is ignored, so a client may resend what it is waiting for.
   * @param {string} portal @param {Limits} limits @param {string} owner @param {number} id @param {number} now
   */
  reserve(portal, limits, owner, id, now) {
    const p = this.open(portal, limits, now);
    if (!p.line.some((r) => r.owner === owner && r.id === id)) p.line.push({ owner, id });
  }

  /** The portal answered QUERY_LIMIT_EXCEEDED. @param {string} portal @param {Limits} limits @param {number} now */
  full(portal, limits, now) {
    const p = this.open(portal, limits, now);
    p.count.refused++;
    p.bucket.fill(now);
  }

  /** A learned plan for portal. @param {string} portal @param {Limits} limits @param {number} now */
  setLimits(portal, limits, now) {
    const p = this.portals.get(portal);
    if (p === undefined) this.open(portal, limits, now);
    else p.bucket.setLimits(limits, now);
  }

  /** Removes one waiting reservation (its client gave it up). @param {string} owner @param {number} id */
  cancel(owner, id) {
    for (const p of this.portals.values()) {
      p.line = p.line.filter((r) => r.owner !== owner || r.id !== id);
    }
  }

  /** Removes every waiting reservation of owner. @param {string} owner */
  drop(owner) {
    for (const p of this.portals.values()) {
      p.line = p.line.filter((r) => r.owner !== owner);
    }
  }

  /**
   * Grants, in line order, every reservation that fits at now, counting each
   * in its portal's bucket. Returns them, each with its portal's count before
   * it, and the milliseconds until the next one fits (Infinity when nothing
   * waits).
   * @param {number} now
   * @returns {{granted: Array<{portal: string, owner: string, id: number, count: Count}>, nextMs: number}}
   */
  grant(now) {
    /** @type {Array<{portal: string, owner: string, id: number, count: Count}>} */
    const granted = [];
    let nextMs = Infinity;
    for (const [portal, p] of this.portals) {
      while (p.line.length > 0) {
        const wait = p.bucket.delay(now);
        if (wait > 0) {
          nextMs = Math.min(nextMs, wait);
          break;
        }
        const r = /** @type {{owner: string, id: number}} */ (p.line.shift());
        p.bucket.add(now);
        granted.push({ portal, owner: r.owner, id: r.id, count: { ...p.count } });
        p.count.granted++;
      }
    }
    return { granted, nextMs };
  }

  /**
   * The bucket's state of portal at now, to hand over to a new leader.
   * @param {string} portal @param {number} now
   * @returns {{level: number, at: number, limits: Limits} | null}
   */
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
   * @param {string} portal @param {{level: number, at: number, limits: Limits}} state @param {number} now
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
