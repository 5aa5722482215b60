import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resolveAuth, portalBase } from '../auth.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('explicit {domain, accessToken, refresh?}', () => {
  test('a bare domain becomes an https portal base URL', async () => {
    const auth = resolveAuth({ domain: 'example.bitrix24.com', accessToken: 't1' }, {});
    assert.deepEqual(await auth.token(), { portal: 'https://example.bitrix24.com', accessToken: 't1' });
  });

  test('a full URL keeps its scheme and port and drops any path', async () => {
    const auth = resolveAuth({ domain: 'http://127.0.0.1:8080/rest/', accessToken: 't1' }, {});
    assert.equal((await auth.token()).portal, 'http://127.0.0.1:8080');
    const withPort = resolveAuth({ domain: 'portal.local:8443', accessToken: 't1' }, {});
    assert.equal((await withPort.token()).portal, 'https://portal.local:8443');
  });

  test('without a refresh function the source has no refresh, so the server error is reported', async () => {
    const auth = resolveAuth({ domain: 'example.bitrix24.com', accessToken: 't1' }, {});
    assert.equal(auth.refresh, undefined);
  });

  test('refresh() replaces the token that token() gives', async () => {
    const auth = resolveAuth({ domain: 'example.bitrix24.com', accessToken: 't1', refresh: async () => ({ accessToken: 't2' }) }, {});
    assert.equal((await auth.refresh()).accessToken, 't2');
    assert.equal((await auth.token()).accessToken, 't2');
  });

  test('each refresh() is one call of the page\'s refresh (one refresh at a time is the module\'s rule)', async () => {
    let calls = 0;
    const auth = resolveAuth({
      domain: 'example.bitrix24.com',
      accessToken: 't1',
      refresh: async () => { calls++; return { accessToken: `t${calls + 1}` }; },
    }, {});
    assert.equal((await auth.refresh()).accessToken, 't2');
    assert.equal((await auth.refresh()).accessToken, 't3');
    assert.equal(calls, 2);
    assert.equal((await auth.token()).accessToken, 't3');
  });

  test('a refresh that gives no accessToken rejects', async () => {
    const auth = resolveAuth({ domain: 'example.bitrix24.com', accessToken: 't1', refresh: async () => ({}) }, {});
    await assert.rejects(auth.refresh(), /did not give an accessToken/);
    assert.equal((await auth.token()).accessToken, 't1');
  });

  test('a refresh that never answers is cleaned up after the adapter\'s own bound', async () => {
    const auth = resolveAuth({ domain: 'e.com', accessToken: 't1', refresh: () => new Promise(() => {}) }, {}, { timeoutMs: 20 });
    await assert.rejects(auth.refresh(), /did not answer within 20 ms/);
  });

  test('nonsense is a TypeError at resolve time', () => {
    assert.throws(() => resolveAuth('token', {}), TypeError);
    assert.throws(() => resolveAuth({ domain: 'e.com' }, {}), /accessToken/);
    assert.throws(() => resolveAuth({ domain: 'e.com', accessToken: '' }, {}), TypeError);
    assert.throws(() => resolveAuth({ accessToken: 't' }, {}), /domain is empty/);
    assert.throws(() => resolveAuth({ domain: 'e.com', accessToken: 't', refresh: 'yes' }, {}), /refresh must be a function/);
    assert.throws(() => resolveAuth({ domain: 'https://user:pw@e.com', accessToken: 't' }, {}), /credentials/);
  });
});

function fakeBX24({ auth = { access_token: 'a1', refresh_token: 'r1', expires_in: new Date(), domain: 'example.bitrix24.com', member_id: 'm' }, fresh = { access_token: 'a2', domain: 'example.bitrix24.com' } } = {}) {
  const bx = {
    inits: 0,
    refreshes: 0,
    initialized: false,
    current: auth,
    pendingRefresh: [],
    init(cb) { this.inits++; setTimeout(() => { this.initialized = true; cb(); }, 1); },
    getAuth() { return this.initialized ? this.current : false; },
    refreshAuth(cb) { this.refreshes++; this.pendingRefresh.push(() => { this.current = fresh; cb(fresh); }); },
    answerRefresh() { this.pendingRefresh.splice(0).forEach((f) => f()); },
  };
  return bx;
}

describe('BX24', () => {
  test('an explicit BX24-like object is initialized once, then getAuth() is used', async () => {
    const bx = fakeBX24();
    const auth = resolveAuth(bx, {});
    const [a, b] = await Promise.all([auth.token(), auth.token()]);
    assert.deepEqual(a, { portal: 'https://example.bitrix24.com', accessToken: 'a1', expiresIn: undefined });
    assert.deepEqual(b, a);
    assert.equal(bx.inits, 1);
  });

  test('window.BX24 is found on the page', async () => {
    const bx = fakeBX24();
    const auth = resolveAuth(undefined, { BX24: bx });
    assert.equal((await auth.token()).accessToken, 'a1');
  });

  test('getAuth() false (expired) asks refreshAuth', async () => {
    const bx = fakeBX24({ auth: false });
    const auth = resolveAuth(bx, {});
    const token = auth.token();
    while (bx.refreshes === 0) await tick();
    bx.answerRefresh();
    assert.deepEqual(await token, { portal: 'https://example.bitrix24.com', accessToken: 'a2', expiresIn: undefined });
  });

  test('expires_in (seconds, a number or a decimal string) reaches the module as expiresIn', async () => {
    const bx = fakeBX24({ auth: { access_token: 'a1', expires_in: '1800', domain: 'example.bitrix24.com' } });
    assert.equal((await resolveAuth(bx, {}).token()).expiresIn, 1800);
    const after = fakeBX24({ auth: { access_token: 'a1', expires_in: 0, domain: 'example.bitrix24.com' } });
    assert.equal((await resolveAuth(after, {}).token()).expiresIn, undefined, 'no life left is no figure: the module finds out from the portal');
  });

  test('each refresh() is one BX24.refreshAuth (one refresh at a time is the module\'s rule)', async () => {
    const bx = fakeBX24();
    const auth = resolveAuth(bx, {});
    const first = auth.refresh();
    while (bx.refreshes === 0) await tick();
    bx.answerRefresh();
    assert.equal((await first).accessToken, 'a2');
    const second = auth.refresh();
    while (bx.refreshes === 1) await tick();
    bx.answerRefresh();
    assert.equal((await second).accessToken, 'a2');
    assert.equal(bx.refreshes, 2);
  });

  test('the protocol of a bare domain comes from window.name inside the portal iframe', async () => {
    const bx = fakeBX24({ auth: { access_token: 'a1', domain: 'portal.local:8080' } });
    const env = { BX24: bx, parent: {}, name: 'portal.local:8080|0|sid' };
    assert.equal((await resolveAuth(undefined, env).token()).portal, 'http://portal.local:8080');
  });

  test('BX24.init that never calls back times out', async () => {
    const bx = fakeBX24();
    bx.init = () => {};
    await assert.rejects(resolveAuth(bx, {}, { timeoutMs: 20 }).token(), /BX24.init did not answer/);
  });
});

// Shaped like @bitrix24/b24jssdk 2.2.0: B24Frame#auth is a getter that throws
// before init(); AuthManager#getAuthData() gives the full origin as domain.
function fakeB24Frame({ initialized = true, data = { access_token: 'b1', refresh_token: 'r', expires: 0, expires_in: 3600, domain: 'https://example.bitrix24.com', member_id: 'm' } } = {}) {
  const manager = {
    refreshes: 0,
    current: data,
    getAuthData() { return this.current; },
    async refreshAuth() {
      this.refreshes++;
      await tick();
      this.current = { ...data, access_token: `b${this.refreshes + 1}` };
      return this.current;
    },
    getTargetOrigin() { return 'https://example.bitrix24.com'; },
  };
  class B24Frame {
    get auth() {
      if (!initialized) throw new Error('B24Frame is not initialized');
      return manager;
    }
  }
  return { frame: new B24Frame(), manager };
}

describe('@bitrix24/b24jssdk B24Frame', () => {
  test('token() uses auth.getAuthData()', async () => {
    const { frame } = fakeB24Frame();
    assert.deepEqual(await resolveAuth(frame, {}).token(), { portal: 'https://example.bitrix24.com', accessToken: 'b1', expiresIn: 3600 });
  });

  test('the auth manager itself is accepted too', async () => {
    const { manager } = fakeB24Frame();
    assert.equal((await resolveAuth(manager, {}).token()).accessToken, 'b1');
  });

  test('getAuthData() false (expired) asks auth.refreshAuth()', async () => {
    const { frame, manager } = fakeB24Frame();
    manager.current = false;
    assert.equal((await resolveAuth(frame, {}).token()).accessToken, 'b2');
  });

  test('each refresh() is one auth.refreshAuth() and gives its expires_in', async () => {
    const { frame, manager } = fakeB24Frame();
    const auth = resolveAuth(frame, {});
    assert.deepEqual(await auth.refresh(), { portal: 'https://example.bitrix24.com', accessToken: 'b2', expiresIn: 3600 });
    assert.equal((await auth.refresh()).accessToken, 'b3');
    assert.equal(manager.refreshes, 2);
  });

  test('a bare domain falls back to getTargetOrigin()', async () => {
    const { frame, manager } = fakeB24Frame();
    manager.current = { access_token: 'b1', domain: 'example.bitrix24.com' };
    manager.getTargetOrigin = () => 'http://127.0.0.1:9000';
    assert.equal((await resolveAuth(frame, {}).token()).portal, 'http://127.0.0.1:9000');
  });

  test('a frame that is not initialized is a TypeError', () => {
    const { frame } = fakeB24Frame({ initialized: false });
    assert.throws(() => resolveAuth(frame, {}), /not initialized/);
  });
});

// A page inside the portal's iframe: a fake parent window that records what
// it is sent, and a message channel the test answers on.
function fakeFrame({ name = 'example.bitrix24.com|1|sid42' } = {}) {
  const sent = [];
  const listeners = new Set();
  const parent = { postMessage: (data, targetOrigin) => sent.push({ data, targetOrigin }) };
  const env = {
    parent,
    name,
    addEventListener: (type, fn) => { assert.equal(type, 'message'); listeners.add(fn); },
    removeEventListener: (type, fn) => { listeners.delete(fn); },
  };
  const deliver = (data, { origin = 'https://example.bitrix24.com', source = parent } = {}) => {
    for (const fn of [...listeners]) fn({ data, origin, source });
  };
  const keyOf = (i) => sent[i].data.split(':').at(-2);
  const reply = (i, payload, opts) => deliver(`${keyOf(i)}:${JSON.stringify(payload)}`, opts);
  const waitSent = async (n) => { while (sent.length < n) await tick(); };
  return { env, sent, listeners, deliver, reply, keyOf, waitSent };
}

const INIT = { AUTH_ID: 'p1', REFRESH_ID: 'r1', AUTH_EXPIRES: '3600', DOMAIN: 'example.bitrix24.com', PROTOCOL: 1, LANG: 'en', MEMBER_ID: 'm' };

describe('portal postMessage protocol', () => {
  test('getInitData is sent in the b24jssdk format to the portal origin', async () => {
    const f = fakeFrame();
    const token = resolveAuth(undefined, f.env).token();
    await f.waitSent(1);
    assert.match(f.sent[0].data, /^getInitData:[0-9a-f]{32}:sid42$/);
    assert.equal(f.sent[0].targetOrigin, 'https://example.bitrix24.com');
    f.reply(0, INIT);
    assert.deepEqual(await token, { portal: 'https://example.bitrix24.com', accessToken: 'p1', expiresIn: 3600 });
    assert.equal(f.listeners.size, 0, 'the listener is removed when nothing is pending');
  });

  test('PROTOCOL 0 means http for the target origin and the portal', async () => {
    const f = fakeFrame({ name: '127.0.0.1:8080|0|sid42' });
    const token = resolveAuth(undefined, f.env).token();
    await f.waitSent(1);
    assert.equal(f.sent[0].targetOrigin, 'http://127.0.0.1:8080');
    f.reply(0, { ...INIT, DOMAIN: '127.0.0.1:8080', PROTOCOL: 0 }, { origin: 'http://127.0.0.1:8080' });
    assert.equal((await token).portal, 'http://127.0.0.1:8080');
  });

  test('answers from a foreign origin, another window, or for an unknown key are ignored', async () => {
    const f = fakeFrame();
    let settled = false;
    const token = resolveAuth(undefined, f.env, { timeoutMs: 2000 }).token();
    token.then(() => { settled = true; }, () => { settled = true; });
    await f.waitSent(1);
    const key = f.keyOf(0);
    const forged = `${key}:${JSON.stringify({ ...INIT, AUTH_ID: 'forged' })}`;
    f.deliver(forged, { origin: 'https://evil.example' });
    f.deliver(forged, { origin: 'https://example.bitrix24.com.evil.example' });
    f.deliver(forged, { origin: 'http://example.bitrix24.com' });
    f.deliver(forged, { source: {} });
    f.deliver(`${'0'.repeat(32)}:${JSON.stringify({ ...INIT, AUTH_ID: 'forged' })}`);
    f.deliver(`${key}x:${JSON.stringify({ ...INIT, AUTH_ID: 'forged' })}`);
    f.deliver({ key, AUTH_ID: 'forged' });
    f.deliver(key);
    await tick();
    assert.equal(settled, false);
    f.reply(0, INIT);
    assert.equal((await token).accessToken, 'p1');
  });

  test('a callback key is single use: a replayed answer does not settle a later request', async () => {
    const f = fakeFrame();
    const auth = resolveAuth(undefined, f.env, { timeoutMs: 2000 });
    const token = auth.token();
    await f.waitSent(1);
    f.reply(0, INIT);
    await token;
    const refreshed = auth.refresh();
    await f.waitSent(2);
    assert.match(f.sent[1].data, /^refreshAuth:[0-9a-f]{32}:sid42$/);
    assert.notEqual(f.keyOf(1), f.keyOf(0));
    f.reply(0, { ...INIT, AUTH_ID: 'replayed' });
    f.reply(1, { AUTH_ID: 'p2', REFRESH_ID: 'r2', AUTH_EXPIRES: '3600' });
    assert.equal((await refreshed).accessToken, 'p2');
    assert.equal((await auth.token()).accessToken, 'p2');
  });

  test('a request the portal never answers rejects after the timeout', async () => {
    const f = fakeFrame();
    await assert.rejects(resolveAuth(undefined, f.env, { timeoutMs: 30 }).token(), /did not answer getInitData within 30 ms/);
    assert.equal(f.listeners.size, 0);
  });

  test('an answer that is not JSON rejects', async () => {
    const f = fakeFrame();
    const token = resolveAuth(undefined, f.env).token();
    await f.waitSent(1);
    f.deliver(`${f.keyOf(0)}:{not json`);
    await assert.rejects(token, /invalid JSON/);
  });

  test('concurrent token() calls before the first answer share one getInitData', async () => {
    const f = fakeFrame();
    const auth = resolveAuth(undefined, f.env);
    const tokens = Promise.all([auth.token(), auth.token()]);
    await f.waitSent(1);
    await tick();
    assert.equal(f.sent.length, 1);
    f.reply(0, INIT);
    assert.deepEqual((await tokens).map((c) => c.accessToken), ['p1', 'p1']);
  });

  test('AUTH_EXPIRES reaches the module as expiresIn; token() itself never refreshes (early refresh is the module\'s)', async () => {
    const f = fakeFrame();
    const auth = resolveAuth(undefined, f.env);
    const first = auth.token();
    await f.waitSent(1);
    f.reply(0, { ...INIT, AUTH_EXPIRES: '0' });
    assert.equal((await first).expiresIn, undefined);
    assert.equal((await auth.token()).accessToken, 'p1');
    assert.equal(f.sent.length, 1, 'no refreshAuth was sent');
    const refreshed = auth.refresh();
    await f.waitSent(2);
    assert.match(f.sent[1].data, /^refreshAuth:/);
    f.reply(1, { AUTH_ID: 'p2', REFRESH_ID: 'r2', AUTH_EXPIRES: '1800' });
    assert.deepEqual(await refreshed, { portal: 'https://example.bitrix24.com', accessToken: 'p2', expiresIn: 1800 });
  });

  test('not a portal iframe: no source', () => {
    const top = { name: 'example.bitrix24.com|1|sid42' };
    top.parent = top;
    assert.equal(resolveAuth(undefined, top), null);
    assert.equal(resolveAuth(undefined, { parent: {}, name: '' }), null);
    assert.equal(resolveAuth(undefined, { parent: {}, name: 'some-frame' }), null);
    assert.equal(resolveAuth(undefined, { parent: {}, name: 'a.com|2|sid' }), null);
  });
});

test('with nothing on the page, there is no auth source', () => {
  assert.equal(resolveAuth(undefined, {}), null);
  assert.equal(resolveAuth(null, globalThis), null);
});

test('an explicit source wins over window.BX24 and the iframe', async () => {
  const f = fakeFrame();
  const env = { ...f.env, BX24: fakeBX24() };
  assert.equal((await resolveAuth({ domain: 'e.com', accessToken: 'x' }, env).token()).accessToken, 'x');
  assert.equal(f.sent.length, 0);
});

test('portalBase', () => {
  assert.equal(portalBase('e.com'), 'https://e.com');
  assert.equal(portalBase('e.com', false), 'http://e.com');
  assert.equal(portalBase('HTTPS://E.com:443/'), 'https://e.com');
  assert.throws(() => portalBase(''), TypeError);
});

describe('the portal origin from window.name is normalised once', () => {
  const cases = [
    ['upper case', 'EXAMPLE.Bitrix24.COM|1|sid42', 'https://example.bitrix24.com'],
    ['an IDN host, as punycode', 'пример.bitrix24.ru|1|sid42', 'https://xn--e1afmkfd.bitrix24.ru'],
    ['the default port', 'example.bitrix24.com:443|1|sid42', 'https://example.bitrix24.com'],
  ];
  for (const [what, name, origin] of cases) {
    test(`${what}: postMessage goes to and is accepted from ${origin}`, async () => {
      const f = fakeFrame({ name });
      const token = resolveAuth(undefined, f.env, { timeoutMs: 2000 }).token();
      await f.waitSent(1);
      assert.equal(f.sent[0].targetOrigin, origin);
      // event.origin is what the browser serialises: lower case, punycode.
      f.reply(0, { ...INIT, DOMAIN: undefined }, { origin });
      assert.deepEqual(await token, { portal: origin, accessToken: 'p1', expiresIn: 3600 });
    });
  }
});

describe('a polluted Object.prototype changes nothing', () => {
  const pollute = (fields) => {
    for (const [k, v] of Object.entries(fields)) Object.prototype[k] = v; // eslint-disable-line no-extend-native
    return () => { for (const k of Object.keys(fields)) delete Object.prototype[k]; };
  };

  test('an inherited DOMAIN in a refreshAuth answer is not used', async () => {
    const f = fakeFrame();
    const auth = resolveAuth(undefined, f.env, { timeoutMs: 2000 });
    const token = auth.token();
    await f.waitSent(1);
    f.reply(0, INIT);
    await token;
    const clean = pollute({ DOMAIN: 'attacker.example', PROTOCOL: '1' });
    try {
      const refreshed = auth.refresh();
      await f.waitSent(2);
      f.reply(1, { AUTH_ID: 'p2', REFRESH_ID: 'r2', AUTH_EXPIRES: '3600' }); // no own DOMAIN, as the portal answers
      assert.deepEqual(await refreshed, { portal: 'https://example.bitrix24.com', accessToken: 'p2', expiresIn: 3600 });
    } finally {
      clean();
    }
  });

  test('inherited BX24, getAuth, domain or refresh are not seen', async () => {
    const clean = pollute({ BX24: { getAuth: () => ({ access_token: 'x', domain: 'attacker.example' }), refreshAuth: () => {} }, getAuth: () => ({}), refreshAuth: () => {} });
    try {
      assert.equal(resolveAuth(undefined, {}), null, 'an inherited BX24 is not a source');
      const plain = resolveAuth({ domain: 'example.bitrix24.com', accessToken: 't1' }, {});
      assert.deepEqual(await plain.token(), { portal: 'https://example.bitrix24.com', accessToken: 't1' });
    } finally {
      clean();
    }
    const clean2 = pollute({ domain: 'attacker.example', refresh: async () => ({ accessToken: 'x' }) });
    try {
      assert.throws(() => resolveAuth({ accessToken: 't1' }, {}), /domain is empty/);
      assert.equal(resolveAuth({ domain: 'example.bitrix24.com', accessToken: 't1' }, {}).refresh, undefined);
    } finally {
      clean2();
    }
  });

  test('a BX24 getAuth() result is read through its own properties', async () => {
    const bx = fakeBX24({ auth: { access_token: 'a1' } });
    const clean = pollute({ domain: 'attacker.example' });
    try {
      const auth = resolveAuth(bx, { parent: {}, name: 'example.bitrix24.com|1|sid' });
      assert.deepEqual(await auth.token(), { portal: 'https://example.bitrix24.com', accessToken: 'a1', expiresIn: undefined });
    } finally {
      clean();
    }
  });
});
