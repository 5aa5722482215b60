// markunread plans: a portal's plan (its bucket's rate and burst), learned
// by the module, remembered in localStorage for the next page load, so a
// page on an enterprise portal does not start at the default plan again.
import { parseLimits, portalKey } from './budget-core.js';

const PLAN_KEY_PREFIX = 'markunread.plan:';

/** @typedef {import('./budget-ledger.js').Limits} Limits */

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

/**
 * The module's plans store (wasm/browser/doc.go: plans): recallPlan and
 * rememberPlan, never throwing.
 */
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
