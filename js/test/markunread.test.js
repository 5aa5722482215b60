// Unit tests of the shim: load() against a stand-in for wasm_exec.js whose Go
// class plays the module's side of the bridge (wasm/browser/doc.go), and a
// real (empty) wasm module served by a stubbed fetch.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, copyFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const jsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const tick = () => new Promise((resolve) => setImmediate(resolve));

let dir;
let load, MarkUnreadError, MarkUnreadClient;
const realFetch = globalThis.fetch;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'markunread-shim-'));
  copyFileSync(join(jsDir, 'markunread.js'), join(dir, 'markunread.js'));
  copyFileSync(join(jsDir, 'auth.js'), join(dir, 'auth.js'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'wasm_exec.js'), `
    export const goGlobal = {};
    export class Go {
      constructor() { this.importObject = {}; this.argv = ['js']; this.env = {}; }
      run(instance) { return globalThis.fakeGo.run(this, instance, goGlobal); }
    }`);
  ({ load, MarkUnreadError, MarkUnreadClient } = await import(pathToFileURL(join(dir, 'markunread.js'))));
});

after(() => rmSync(dir, { recursive: true, force: true }));

afterEach(() => {
  globalThis.fetch = realFetch;
  delete globalThis.fakeGo;
});

function serveWasm({ bytes = EMPTY_WASM, type = 'application/wasm', status = 200 } = {}) {
  const requested = [];
  globalThis.fetch = async (url) => {
    requested.push(String(url));
    return new Response(status === 200 ? bytes : 'not found', { status, headers: type ? { 'content-type': type } : {} });
  };
  return requested;
}

// The module's side of the bridge. api is what it hands to ready(); exit()
// ends the Go program (go.run's promise resolves).
function fakeModule({ api, callReady = true } = {}) {
  const seen = {};
  let exit;
  const calls = [];
  const theApi = api ?? {
    markUnread: (...args) => { calls.push(args); return Promise.resolve(true); },
    stats: () => ({ requests: 1, batches: 0, commands: 1, retries: 0, refreshes: 0, queued: 0, inFlight: 0, status503: 0, status429: 0, settled: 1, succeeded: 1, failed: 0 }),
  };
  globalThis.fakeGo = {
    run(go, instance, goGlobal) {
      seen.go = go;
      seen.instance = instance;
      seen.key = go.env.MARKUNREAD_BRIDGE;
      seen.goGlobal = goGlobal;
      seen.bridge = goGlobal[seen.key];
      if (callReady) seen.bridge.ready(theApi);
      return new Promise((resolve) => { exit = resolve; });
    },
  };
  return { seen, calls, api: theApi, exit: () => exit() };
}

describe('MarkUnreadError', () => {
  test('carries code, description, status and attempts', () => {
    const err = new MarkUnreadError('QUERY_LIMIT_EXCEEDED', 'Too many requests', 503, 6);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'MarkUnreadError');
    assert.equal(err.message, 'QUERY_LIMIT_EXCEEDED: Too many requests');
    assert.equal(err.code, 'QUERY_LIMIT_EXCEEDED');
    assert.equal(err.description, 'Too many requests');
    assert.equal(err.status, 503);
    assert.equal(err.attempts, 6);
    assert.match(String(err), /^MarkUnreadError: QUERY_LIMIT_EXCEEDED: Too many requests/);
  });

  test('status and attempts are undefined when there was none (the module passes 0)', () => {
    const err = new MarkUnreadError('DIALOG_ID_EMPTY', 'Dialog ID can\'t be empty', 0, 0);
    assert.equal(err.status, undefined);
    assert.equal(err.attempts, undefined);
  });
});

describe('load() option validation', () => {
  const cases = [
    ['options not an object', 5, /options must be an object/],
    ['unknown option', { limit: {} }, /unknown option "limit"/],
    ['negative perSecond', { limits: { perSecond: -1 } }, /limits.perSecond must be a positive number/],
    ['zero perSecond', { limits: { perSecond: 0 } }, /limits.perSecond/],
    ['fractional burst', { limits: { burst: 1.5 } }, /limits.burst must be a positive integer/],
    ['unknown limit', { limits: { perMinute: 5 } }, /unknown option "limits.perMinute"/],
    ['limits not an object', { limits: 3 }, /limits must be an object/],
    ['batch not a boolean', { batch: 'yes' }, /batch must be true or false/],
    ['zero timeout', { timeoutMs: 0 }, /timeoutMs/],
    ['infinite timeout', { timeoutMs: Infinity }, /timeoutMs/],
    ['string queueSize', { queueSize: '10' }, /queueSize must be a positive integer/],
    ['NaN maxAttempts', { maxAttempts: NaN }, /maxAttempts/],
    ['fetch not a function', { fetch: 'fetch' }, /fetch must be a function/],
    ['a timeout below 1 ms', { timeoutMs: 1e-7 }, /options.timeoutMs must be between 1 and 86400000, got 1e-7/],
    ['a timeout beyond a day', { timeoutMs: 9.2e12 }, /options.timeoutMs must be between 1 and 86400000/],
    ['a rate that never drains', { limits: { perSecond: 1e-300, burst: 1 } }, /options.limits.perSecond must be between 0.01 and 1000/],
    ['a rate beyond 1000/s', { limits: { perSecond: 5000 } }, /options.limits.perSecond must be between 0.01 and 1000/],
    ['a burst beyond 10000', { limits: { burst: 1e6 } }, /options.limits.burst must be between 1 and 10000/],
    ['a queue beyond a million', { queueSize: 1e7 }, /options.queueSize must be between 1 and 1000000/],
    ['more than 100 attempts', { maxAttempts: 1000 }, /options.maxAttempts must be between 1 and 100/],
    ['wasmUrl not a URL', { wasmUrl: 5 }, /wasmUrl must be a string or a URL/],
    ['portal without scheme', { portal: 'example.bitrix24.com' }, /portal must start with https:\/\//],
    ['portal not http', { portal: 'ftp://example.com' }, /portal must start with https:\/\//],
    ['auth without token', { auth: { domain: 'e.com' } }, /accessToken/],
    ['auth a string', { auth: 'token' }, /auth must be an object/],
  ];
  for (const [name, options, message] of cases) {
    test(`${name} is a TypeError`, async () => {
      const requested = serveWasm();
      await assert.rejects(load(options), (err) => err instanceof TypeError && message.test(err.message));
      assert.equal(requested.length, 0, 'nothing is fetched for invalid options');
    });
  }
});

describe('load()', () => {
  test('builds the bridge as doc.go specifies and removes the global once ready', async () => {
    serveWasm();
    const m = fakeModule();
    const pageFetch = async () => new Response('{}');
    const client = await load({
      wasmUrl: 'https://app.example/dist/markunread.wasm',
      auth: { domain: 'example.bitrix24.com', accessToken: 't' },
      limits: { perSecond: 5 },
      batch: false,
      fetch: pageFetch,
    });
    assert.ok(client instanceof MarkUnreadClient);
    assert.ok(client instanceof EventTarget);
    const { go, bridge, key, instance, goGlobal } = m.seen;
    assert.ok(instance instanceof WebAssembly.Instance);
    assert.deepEqual(go.argv, ['markunread']);
    assert.deepEqual(go.env, { MARKUNREAD_BRIDGE: key });
    assert.match(key, /^__markunread_[0-9a-f]{32}$/);
    assert.equal(key in goGlobal, false, 'the bridge is deleted from the module\'s global after ready');
    assert.equal(key in globalThis, false, 'the bridge is never on the page\'s global');
    // What the module reads has no prototype: Object.prototype cannot leak in.
    for (const o of [bridge, bridge.options, bridge.auth, await bridge.auth.token()]) {
      assert.equal(Object.getPrototypeOf(o), null);
    }
    assert.deepEqual({ ...bridge.options }, {
      perSecond: 5, burst: 50, batch: false, timeoutMs: 120000, queueSize: 10000, maxAttempts: 6, pageSecure: false,
    });
    assert.equal(bridge.fetch, pageFetch);
    assert.deepEqual({ ...await bridge.auth.token() }, { portal: 'https://example.bitrix24.com', accessToken: 't' });
    const err = bridge.newError('MESSAGE_ID_ERROR', 'Message ID can\'t be empty', 400, 1);
    assert.ok(err instanceof MarkUnreadError);
    assert.equal(err.status, 400);
    assert.equal(bridge.newError('QUEUE_FULL', 'full', 0, 0).status, undefined);
  });

  test('every load() uses a fresh bridge key', async () => {
    serveWasm();
    const a = fakeModule();
    await load();
    const b = fakeModule();
    await load();
    assert.notEqual(a.seen.key, b.seen.key);
  });

  test('defaults: the wasm beside the shim, the page fetch, no auth, pageSecure from the origin', async () => {
    const requested = serveWasm();
    const m = fakeModule();
    globalThis.origin = 'https://app.example';
    try {
      await load();
    } finally {
      delete globalThis.origin;
    }
    assert.equal(requested[0], pathToFileURL(join(dir, 'markunread.wasm')).href);
    assert.equal(m.seen.bridge.auth, null);
    assert.equal(typeof m.seen.bridge.fetch, 'function');
    assert.equal(m.seen.bridge.options.pageSecure, true);
    assert.equal('portal' in m.seen.bridge.options, false);
  });

  test('options.portal reaches the module, which lets it override the auth source', async () => {
    serveWasm();
    const m = fakeModule();
    await load({ auth: { domain: 'example.bitrix24.com', accessToken: 't' }, portal: 'http://127.0.0.1:9/' });
    assert.equal(m.seen.bridge.options.portal, 'http://127.0.0.1:9');
    assert.deepEqual({ ...await m.seen.bridge.auth.token() }, { portal: 'https://example.bitrix24.com', accessToken: 't' });
  });

  test('a wasm served with the wrong MIME type still loads, with a warning', async (t) => {
    serveWasm({ type: 'application/octet-stream' });
    fakeModule();
    const warn = t.mock.method(console, 'warn', () => {});
    await load();
    assert.equal(warn.mock.callCount(), 1);
    assert.match(warn.mock.calls[0].arguments[0], /serve \.wasm files as application\/wasm/);
  });

  test('a wasm that cannot be fetched rejects with a clear Error', async () => {
    serveWasm({ status: 404 });
    fakeModule();
    await assert.rejects(load({ wasmUrl: 'https://app.example/x.wasm' }), /cannot fetch https:\/\/app.example\/x.wasm: HTTP 404/);
    globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
    await assert.rejects(load(), /cannot fetch .*: Failed to fetch/);
  });

  test('bytes that are not wasm reject with a clear Error', async () => {
    serveWasm({ bytes: new TextEncoder().encode('<html>oops</html>') });
    fakeModule();
    await assert.rejects(load(), /cannot instantiate/);
  });

  test('a Go program that exits before ready rejects load()', async () => {
    serveWasm();
    globalThis.fakeGo = { run: async () => {} };
    await assert.rejects(load(), /stopped while starting/);
  });

  test('a module that never calls ready rejects load() after a bound', async (t) => {
    serveWasm();
    fakeModule({ callReady: false });
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const loading = load();
    let outcome;
    loading.catch((err) => { outcome = err; });
    for (let i = 0; i < 50 && !outcome; i++) {
      await tick();
      t.mock.timers.tick(1000);
    }
    assert.match(String(outcome), /did not start within 20 s/);
  });
});

describe('client', () => {
  async function loaded(opts) {
    serveWasm();
    const m = fakeModule(opts);
    const client = await load();
    return { client, ...m };
  }

  test('markUnread passes the raw arguments and the signal through', async () => {
    const { client, calls } = await loaded();
    const ctl = new AbortController();
    assert.equal(await client.markUnread('chat29', 12), true);
    assert.equal(await client.markUnread([1], '12abc', { signal: ctl.signal }), true);
    assert.deepEqual(calls[0], ['chat29', 12, undefined]);
    assert.deepEqual(calls[1], [[1], '12abc', ctl.signal]);
  });

  test('a MarkUnreadError from the module reaches the caller as is', async () => {
    const err = new MarkUnreadError('DIALOG_ID_EMPTY', 'Dialog ID can\'t be empty', 0, 0);
    const { client } = await loaded({ api: { markUnread: () => Promise.reject(err), stats: () => ({}) } });
    await assert.rejects(client.markUnread('x y', 1), (e) => e === err);
  });

  test('an already aborted signal rejects with ABORTED without reaching the module', async () => {
    const { client, calls } = await loaded();
    const ctl = new AbortController();
    ctl.abort(new Error('user left'));
    await assert.rejects(client.markUnread('chat29', 12, { signal: ctl.signal }),
      (e) => e instanceof MarkUnreadError && e.code === 'ABORTED' && /user left/.test(e.description));
    assert.equal(calls.length, 0);
  });

  test('a third argument that is not an options object rejects with a TypeError', async () => {
    const { client, calls } = await loaded();
    const returned = client.markUnread('chat29', 12, 'fast');
    assert.ok(returned instanceof Promise, 'it rejects, it does not throw');
    await assert.rejects(returned, TypeError);
    await assert.rejects(client.markUnread('chat29', 12, { signal: 'soon' }), /signal must be an AbortSignal/);
    assert.equal(calls.length, 0);
  });

  test('stats() gives the module counters', async () => {
    const { client } = await loaded();
    assert.deepEqual(Object.keys(client.stats()).sort(), ['batches', 'commands', 'failed', 'inFlight', 'queued', 'refreshes', 'requests', 'retries', 'settled', 'status429', 'status503', 'succeeded']);
  });

  test('onSettle dispatches a progress event with the settled call as detail', async () => {
    const { client, seen } = await loaded();
    const events = [];
    client.addEventListener('progress', (e) => events.push(e));
    const detail = { dialogId: 'chat29', messageId: 12, ok: true, code: '', settled: 1, succeeded: 1, failed: 0, queued: 0, inFlight: 0 };
    seen.bridge.onSettle(detail);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'progress');
    assert.equal(events[0].detail, detail);
  });

  test('once the Go program exits, pending and later calls reject with INTERNAL_ERROR', async () => {
    const pending = new Promise(() => {});
    const { client, exit } = await loaded({ api: { markUnread: () => pending, stats: () => ({}) } });
    const call = client.markUnread('chat29', 12);
    exit();
    await assert.rejects(call, (e) => e instanceof MarkUnreadError && e.code === 'INTERNAL_ERROR');
    const later = client.markUnread('chat29', 13);
    assert.ok(later instanceof Promise);
    await assert.rejects(later, (e) => e instanceof MarkUnreadError && e.code === 'INTERNAL_ERROR');
    assert.throws(() => client.stats(), (e) => e instanceof MarkUnreadError && e.code === 'INTERNAL_ERROR');
  });

  test('a module that throws instead of rejecting gives INTERNAL_ERROR, now and after', async () => {
    let calls = 0;
    const { client } = await loaded({ api: { markUnread: () => { calls++; throw new Error('Go program has already exited'); }, stats: () => ({}) } });
    await assert.rejects(client.markUnread('chat29', 12), (e) => e.code === 'INTERNAL_ERROR' && /already exited/.test(e.description));
    await assert.rejects(client.markUnread('chat29', 12), (e) => e.code === 'INTERNAL_ERROR');
    assert.equal(calls, 1);
  });

  test('a rejection that is not a MarkUnreadError is wrapped as INTERNAL_ERROR', async () => {
    const { client } = await loaded({ api: { markUnread: () => Promise.reject(new Error('boom')), stats: () => ({}) } });
    await assert.rejects(client.markUnread('chat29', 12), (e) => e instanceof MarkUnreadError && e.code === 'INTERNAL_ERROR' && e.cause?.message === 'boom');
  });
});
