// Integration tests: the real module (dist/, from `make build`: the shim,
// markunread.wasm and the Go toolchain's wasm_exec.js) against the devportal
// emulator. They run only under it:
//
//   make build
//   bin/devportal -portal 127.0.0.1:0 -app localhost:0 -dist dist -- node --test js/test/
//
// which sets MARKUNREAD_APP_URL, MARKUNREAD_PORTAL_URL and MARKUNREAD_TOKEN.
// Numeric bounds, the portal check, counting of refused calls and one
// refresh at a time are the module's rules: only these tests see them
// through the shim.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const { MARKUNREAD_APP_URL: appURL, MARKUNREAD_PORTAL_URL: portalURL, MARKUNREAD_TOKEN: token } = process.env;
const missing = Object.entries({ MARKUNREAD_APP_URL: appURL, MARKUNREAD_PORTAL_URL: portalURL, MARKUNREAD_TOKEN: token })
  .filter(([, v]) => !v).map(([k]) => k);
const skip = missing.length > 0
  && `needs ${missing.join(', ')}: run under the emulator, `
  + '`go run ./web/cmd/devportal -portal 127.0.0.1:0 -app 127.0.0.1:0 -dist dist -- node --test js/test/`';

const jsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(jsDir, '..', 'dist');
const built = existsSync(join(dist, 'markunread.wasm')) || 'needs dist/: run `make build` first';

const state = async () => (await fetch(`${portalURL}/devportal/state`, { cache: 'no-store' })).json();
const reset = async (config = {}) => {
  const res = await fetch(`${portalURL}/devportal/reset`, { method: 'POST', body: JSON.stringify(config) });
  assert.equal(res.status, 200, 'the emulator took the reset');
};
const control = async (path, form) => (await fetch(`${portalURL}/devportal/${path}`, { method: 'POST', body: new URLSearchParams(form) })).json();

// The names of MarkUnreadStats in the type declarations: a Go test
// (wasm/unread/contract_test.go) checks them against unread.Stats.Fields.
function declaredStats() {
  const dts = readFileSync(join(jsDir, 'markunread.d.ts'), 'utf8');
  const body = /export interface MarkUnreadStats \{([^}]*)\}/.exec(dts)[1];
  return [...body.matchAll(/^\s*(\w+): number;/gm)].map((m) => m[1]);
}

describe('the real module against devportal', { skip: skip || (built !== true && built) }, () => {
  let load, MarkUnreadError;
  let client;
  const wasmUrl = () => `${appURL}/dist/markunread.wasm`;
  const auth = (accessToken = token, more = {}) => ({ domain: new URL(portalURL).host, accessToken, ...more });
  const open = (options = {}) => load({ wasmUrl: wasmUrl(), auth: auth(), portal: portalURL, ...options });

  before(async () => {
    await reset();
    ({ load, MarkUnreadError } = await import(pathToFileURL(join(dist, 'markunread.js'))));
    client = await open();
  });

  after(async () => {
    await client?.close();
  });

  test('markUnread resolves true and the portal records it', async () => {
    assert.equal(await client.markUnread('chat29', 12), true);
    assert.equal((await state()).unread.chat29, 12);
  });

  // The portal checks MESSAGE_ID first, then DIALOG_ID (docs/bitrix24.md).
  const bad = [
    [[undefined, null], 'MESSAGE_ID_ERROR'],
    [[undefined, 1], 'DIALOG_ID_EMPTY'],
    [['chat29', -1], 'MESSAGE_ID_ERROR'],
    [['chat 29', 12], 'DIALOG_ID_EMPTY'],
    [['chat29', 1.5], 'MESSAGE_ID_ERROR'],
    [['', 0], 'MESSAGE_ID_ERROR'],
    [['', 1], 'DIALOG_ID_EMPTY'],
    [['chat29', '12abc'], 'MESSAGE_ID_ERROR'],
    [['chat29', 2 ** 53 + 2], 'MESSAGE_ID_ERROR'],
    [[[1], 12], 'DIALOG_ID_EMPTY'],
    [[{}, 12], 'DIALOG_ID_EMPTY'],
  ];
  test('bad arguments reject with the server\'s code, without a request, and the module keeps working', async () => {
    const before = client.stats().requests;
    for (const [args, code] of bad) {
      const label = `markUnread(${args.map((a) => (typeof a === 'number' ? String(a) : JSON.stringify(a) ?? 'undefined')).join(', ')})`;
      await assert.rejects(client.markUnread(...args), (err) => {
        assert.ok(err instanceof MarkUnreadError, `${label}: ${err}`);
        assert.equal(err.code, code, label);
        assert.equal(typeof err.description, 'string');
        assert.equal(err.attempts, 0, `${label}: no request was made`);
        assert.equal(err.status, undefined, `${label}: no answer`);
        return true;
      });
    }
    assert.equal(client.stats().requests, before, 'refused locally, no request sent');
    assert.equal(await client.markUnread('chat30', 7), true);
    assert.equal((await state()).unread.chat30, 7);
  });

  test('an invalid token rejects with invalid_token and status 401', async () => {
    const other = await open({ auth: auth('not-a-token') });
    await assert.rejects(other.markUnread('chat31', 5), (err) => {
      assert.ok(err instanceof MarkUnreadError, String(err));
      assert.equal(err.code, 'invalid_token');
      assert.equal(err.status, 401);
      return true;
    });
    assert.equal((await state()).unread.chat31, undefined);
    await other.close();
  });

  test('stats() has exactly the counters the type declarations list, each a number', () => {
    const stats = client.stats();
    const names = declaredStats();
    assert.ok(names.includes('abandoned'), `declared: ${names}`);
    assert.deepEqual(Object.keys(stats).sort(), [...names].sort());
    for (const key of names) assert.equal(typeof stats[key], 'number', key);
    assert.ok(stats.requests >= 1);
    assert.ok(stats.succeeded >= 2);
    assert.ok(stats.failed >= bad.length);
  });

  test('a progress event fires after each call settles', async () => {
    const events = [];
    const listener = (e) => events.push(e.detail);
    client.addEventListener('progress', listener);
    try {
      await client.markUnread('chat32', 3);
      await client.markUnread('chat32', 0).catch(() => {});
    } finally {
      client.removeEventListener('progress', listener);
    }
    assert.equal(events.length, 2);
    assert.equal(events[0].ok, true);
    assert.equal(events[0].dialogId, 'chat32');
    assert.equal(events[0].messageId, 3);
    assert.equal(events[1].ok, false);
    assert.equal(events[1].code, 'MESSAGE_ID_ERROR');
    assert.equal(events[1].settled, events[0].settled + 1);
  });

  test('many concurrent calls all settle, in few requests', async () => {
    const before = client.stats().requests;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => client.markUnread(`chat${100 + i}`, i + 1)));
    assert.ok(results.every((r) => r === true));
    const unread = (await state()).unread;
    for (let i = 0; i < 30; i++) assert.equal(unread[`chat${100 + i}`], i + 1);
    assert.ok(client.stats().requests - before < 30, 'calls were batched');
  });

  test('an already aborted signal is refused by the module: ABORTED, counted, one progress event', async () => {
    const before = client.stats();
    const events = [];
    const listener = (e) => events.push(e.detail);
    client.addEventListener('progress', listener);
    const ctl = new AbortController();
    ctl.abort(new Error('user left'));
    try {
      await assert.rejects(client.markUnread('chat33', 4, { signal: ctl.signal }),
        (e) => e instanceof MarkUnreadError && e.code === 'ABORTED' && /user left/.test(e.description));
    } finally {
      client.removeEventListener('progress', listener);
    }
    const after = client.stats();
    assert.equal(after.settled, before.settled + 1);
    assert.equal(after.failed, before.failed + 1);
    assert.equal(after.requests, before.requests, 'no request for it');
    assert.equal(events.length, 1);
    assert.equal(events[0].ok, false);
    assert.equal(events[0].code, 'ABORTED');
    assert.equal(events[0].settled, after.settled);
    assert.equal((await state()).unread.chat33, undefined);
  });

  // The module's option list (wasm/unread/config.go Options) owns the bounds;
  // load() rejects with its message, as a TypeError.
  const outOfBounds = [
    [{ timeoutMs: 1e-7 }, 'options.timeoutMs must be a number from 1 to 86400000, not 1e-07'],
    [{ timeoutMs: 0 }, 'options.timeoutMs must be a number from 1 to 86400000, not 0'],
    [{ timeoutMs: 9.2e12 }, 'options.timeoutMs must be a number from 1 to 86400000, not 9200000000000'],
    [{ limits: { perSecond: 1e-300, burst: 1 } }, 'options.limits.perSecond must be a number from 0.01 to 1000, not 1e-300'],
    [{ limits: { perSecond: -1 } }, 'options.limits.perSecond must be a number from 0.01 to 1000, not -1'],
    [{ limits: { perSecond: 5000 } }, 'options.limits.perSecond must be a number from 0.01 to 1000, not 5000'],
    [{ limits: { burst: 1.5 } }, 'options.limits.burst must be an integer from 1 to 10000, not 1.5'],
    [{ limits: { burst: 1e6 } }, 'options.limits.burst must be an integer from 1 to 10000, not 1000000'],
    [{ queueSize: 1e7 }, 'options.queueSize must be an integer from 1 to 1000000, not 10000000'],
    [{ bulkQueueSize: 0 }, 'options.bulkQueueSize must be an integer from 1 to 10000000, not 0'],
    [{ maxAttempts: 1000 }, 'options.maxAttempts must be an integer from 1 to 100, not 1000'],
  ];
  test('numeric options out of the module\'s bounds reject load() with a TypeError that names them', async () => {
    for (const [options, message] of outOfBounds) {
      await assert.rejects(open(options), (err) => {
        assert.ok(err instanceof TypeError, `${JSON.stringify(options)}: ${err}`);
        assert.equal(err.message, `markunread: ${message}`);
        return true;
      });
    }
    const edge = await open({ timeoutMs: 1, limits: { perSecond: 1000, burst: 10000 }, queueSize: 1, maxAttempts: 100 });
    await edge.close();
  });

  test('an invalid options.portal rejects load() with INVALID_PORTAL', async () => {
    const cases = [
      ['http://example.bitrix24.com', /plain http; only a loopback portal may be/],
      ['example.bitrix24.com', /not a base URL/],
      ['ftp://example.bitrix24.com', /neither https nor http/],
    ];
    for (const [portal, description] of cases) {
      await assert.rejects(open({ portal }), (err) => {
        assert.ok(err instanceof MarkUnreadError, `${portal}: ${err}`);
        assert.equal(err.code, 'INVALID_PORTAL', portal);
        assert.match(err.description, description);
        return true;
      });
    }
  });

  test('no auth source at all rejects load() with NO_AUTH', async () => {
    await assert.rejects(load({ wasmUrl: wasmUrl(), portal: portalURL }),
      (err) => err instanceof MarkUnreadError && err.code === 'NO_AUTH');
  });

  test('two calls that meet an expired token make exactly one refresh, and both succeed', async () => {
    const issued = await control('token', { lifetimeMs: '300' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    let refreshToken = issued.refresh;
    let refreshes = 0;
    const expiring = await open({
      batch: false, // two requests, so each meets the expired token on its own
      auth: auth(issued.access, {
        refresh: async () => {
          refreshes++;
          const fresh = await control('oauth/refresh', { refresh: refreshToken }); // works once
          refreshToken = fresh.refresh;
          return { accessToken: fresh.access };
        },
      }),
    });
    const before = (await state()).stats.status401;
    assert.deepEqual(await Promise.all([expiring.markUnread('chat34', 1), expiring.markUnread('chat35', 2)]), [true, true]);
    assert.equal(refreshes, 1, 'one refresh served both calls');
    assert.equal(expiring.stats().refreshes, 1);
    assert.ok((await state()).stats.status401 - before <= 2);
    const unread = (await state()).unread;
    assert.equal(unread.chat34, 1);
    assert.equal(unread.chat35, 2);
    await expiring.close();
  });

  test('a token near its expiry (a BX24 source says expires_in) is refreshed before use: no 401 at the portal', async () => {
    // 4 s of life: used at once; a token this short is refreshed at half
    // its life (a long one 10 s before it expires).
    const issued = await control('token', { lifetimeMs: '4000' });
    let current = { access_token: issued.access, refresh_token: issued.refresh, expires_in: 4, domain: portalURL };
    let refreshAuths = 0;
    const bx24 = {
      getAuth: () => current,
      refreshAuth: (callback) => {
        refreshAuths++;
        control('oauth/refresh', { refresh: current.refresh_token }).then((fresh) => {
          current = { access_token: fresh.access, refresh_token: fresh.refresh, expires_in: fresh.expiresIn, domain: portalURL };
          callback(current);
        });
      },
    };
    const early = await open({ auth: bx24 });
    const before = (await state()).stats.status401;
    assert.equal(await early.markUnread('chat36', 3), true);
    assert.equal(refreshAuths, 0, 'a fresh token is used');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(await early.markUnread('chat36', 2), true);
    assert.equal(refreshAuths, 1, 'past half its life it is refreshed first');
    assert.equal(early.stats().refreshes, 1);
    assert.equal((await state()).stats.status401, before, 'the near-expiry token was never sent');
    await early.close();
  });
});
