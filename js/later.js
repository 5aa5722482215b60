// Marks that outlive the page: the page hands a job (pairs and a time) to the
// app's Worker (wasm/worker, docs/worker.md), which marks them as this user
// when due, even with no page open; "now" makes a background bulk job.
//
//   const jobs = later();                        // inside a portal iframe
//   const job = await jobs.markLater([['chat29', 12]], { at: Date.now() + 60_000 });
//   await jobs.list();                           // this user's jobs, progress, errors
//   await jobs.cancel(job.id);
//
// The Worker needs the portal's member_id and the user's access and refresh
// token (it refreshes the pair at the OAuth server when the job runs later
// than the token lives). Inside a portal iframe they come from the portal's
// getInitData; elsewhere pass options.session. They travel in a POST body,
// never in a URL, and are never logged. A refusal rejects with a
// MarkUnreadError carrying the Worker's code (NOT_INSTALLED, TOKEN_REFUSED,
// BAD_PAIR, ...) and the HTTP status.
import { MarkUnreadError } from './client.js';
import { randomKey } from './auth.js';
import { own, ownCopy } from './own.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * @param {{server?: string, session?: Session | (() => Session | Promise<Session>), timeoutMs?: number,
 *          fetch?: typeof fetch}} [options]
 * @returns {import('./markunread.js').LaterJobs}
 * @typedef {{memberId: string, accessToken: string, refreshToken: string}} Session
 */
export function later(options = {}) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('markunread: later(options) takes an object');
  }
  const givenServer = own(options, 'server') ?? '';
  if (typeof givenServer !== 'string') throw new TypeError('markunread: later({server}) takes the Worker\'s URL as a string');
  const server = givenServer.replace(/\/+$/, '');
  const timeoutMs = own(options, 'timeoutMs') ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('markunread: later({timeoutMs}) takes a number of milliseconds above 0');
  }
  const givenFetch = own(options, 'fetch');
  if (givenFetch !== undefined && typeof givenFetch !== 'function') throw new TypeError('markunread: later({fetch}) takes a function');
  const doFetch = /** @type {typeof fetch} */ (givenFetch ?? globalThis.fetch.bind(globalThis));
  const given = own(options, 'session');
  if (given !== undefined && given !== null && typeof given !== 'object' && typeof given !== 'function') {
    throw new TypeError('markunread: later({session}) takes {memberId, accessToken, refreshToken} or a function that gives it');
  }
  // Asked anew each time: the portal's getInitData gives the tokens as they are now.
  const session = async () => {
    const s = typeof given === 'function' ? await /** @type {() => unknown} */ (given)() : given ?? await frameSession(globalThis, timeoutMs);
    const copy = ownCopy(s);
    for (const name of ['memberId', 'accessToken', 'refreshToken']) {
      if (typeof copy?.[name] !== 'string' || copy[name] === '') {
        throw new MarkUnreadError('NO_AUTH', `later(): the session has no ${name}: pass options.session, or call it inside a portal iframe`);
      }
    }
    return copy;
  };
  /**
   * Posts body to the Worker and resolves to the field of its answer the
   * call is for: a job object, or the list of them (name); anything else is
   * no answer of the Worker's.
   * @param {string} path @param {Record<string, unknown>} body @param {'job' | 'jobs'} name
   */
  const call = async (path, body, name) => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    let res;
    try {
      res = await doFetch(`${server}/api/jobs${path}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: ctrl.signal,
      });
    } catch (err) {
      throw new MarkUnreadError(ctrl.signal.aborted ? 'TIMEOUT' : 'NETWORK_ERROR',
        ctrl.signal.aborted ? `the app's Worker did not answer within ${timeoutMs} ms` : "the app's Worker could not be reached", 0, 0, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    let answer;
    try {
      answer = await res.json();
    } catch {
      throw new MarkUnreadError('BAD_RESPONSE', `the app's Worker answered HTTP ${res.status} without JSON: is the page served by it (make worker)?`, res.status);
    }
    if (!res.ok) {
      throw new MarkUnreadError(String(own(answer, 'error') ?? 'BAD_RESPONSE'), String(own(answer, 'error_description') ?? `HTTP ${res.status}`), res.status);
    }
    const v = own(answer, name);
    const fits = name === 'jobs' ? Array.isArray(v) : typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!fits) throw new MarkUnreadError('BAD_RESPONSE', `the app's Worker answered without ${name === 'jobs' ? 'a list of jobs' : 'the job'}`, res.status);
    return v;
  };
  return Object.freeze({
    /**
     * Hands a job to the Worker: pairs [[dialogId, messageId], ...], marked when
     * `at` comes (a Date or Unix ms; left out: now, in the background).
     * @param {ReadonlyArray<unknown>} pairs @param {{at?: Date | number}} [options]
     */
    async markLater(pairs, { at } = {}) {
      if (!Array.isArray(pairs)) throw new TypeError('markunread: markLater(pairs) takes [[dialogId, messageId], ...]');
      const when = at instanceof Date ? at.getTime() : at;
      if (when !== undefined && !Number.isFinite(when)) throw new TypeError('markunread: markLater(pairs, {at}) takes a Date or Unix milliseconds');
      const s = await session();
      /** @type {Record<string, unknown>} */
      const body = { ...s, pairs: pairs.map((p) => (Array.isArray(p) ? [p[0], p[1]] : p)) };
      if (when !== undefined) body.at = Math.round(when);
      return /** @type {import('./markunread.js').LaterJob} */ (await call('', body, 'job'));
    },
    /** This user's jobs, newest first, with their progress and errors. */
    async list() {
      const { memberId, accessToken } = await session();
      return /** @type {import('./markunread.js').LaterJob[]} */ (await call('/list', { memberId, accessToken }, 'jobs'));
    },
    /** Cancels one of this user's jobs; resolves to it as it now is. @param {string} id */
    async cancel(id) {
      const { memberId, accessToken } = await session();
      return /** @type {import('./markunread.js').LaterJob} */ (await call('/cancel', { memberId, accessToken, id: String(id) }, 'job'));
    },
  });
}

// The portal's getInitData, asked of the parent window in the portal's
// postMessage format (as auth.js speaks it: "<command>:<key>:<APP_SID>", the
// answer "<key>:<JSON>" from the parent at the portal's origin only).
/** @param {import('./auth.js').FrameGlobals} env @param {number} timeoutMs @returns {Promise<Record<string, unknown>>} */
function frameSession(env, timeoutMs) {
  const name = own(env, 'name');
  const m = typeof name === 'string' ? /^([^|:\s/?#@\\]+(?::\d+)?)\|([01])\|([^|:\s]+)$/.exec(name) : null;
  if (!m || /** @type {unknown} */ (env.parent) === env) { // a top window is its own parent
    return Promise.reject(new MarkUnreadError('NO_AUTH', 'later(): not inside a portal iframe: pass options.session'));
  }
  const origin = new URL(`${m[2] === '1' ? 'https' : 'http'}://${m[1]}`).origin;
  const key = randomKey();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      env.removeEventListener('message', onMessage);
    };
    /** @param {MessageEvent<unknown>} event */
    const onMessage = (event) => {
      if (event.origin !== origin || event.source !== env.parent || typeof event.data !== 'string' || !event.data.startsWith(`${key}:`)) return;
      done();
      try {
        const data = ownCopy(JSON.parse(event.data.slice(key.length + 1)));
        resolve({ memberId: data.MEMBER_ID, accessToken: data.AUTH_ID, refreshToken: data.REFRESH_ID });
      } catch {
        reject(new MarkUnreadError('BAD_RESPONSE', 'the portal answered getInitData with invalid JSON'));
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new MarkUnreadError('TIMEOUT', `the portal did not answer getInitData within ${timeoutMs} ms`));
    }, timeoutMs);
    env.addEventListener('message', onMessage);
    env.parent.postMessage(`getInitData:${key}:${m[3]}`, origin);
  });
}
