// Unit tests of the shim: load() against a stand-in for wasm_exec.js whose Go
// class plays the module's side of the bridge (wasm/browser/doc.go), and a
// real (empty) wasm module served by a stubbed fetch.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, copyFileSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
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
  // The shim's files as package.json ships them; wasm_exec.js is the stand-in below.
  const { files } = JSON.parse(readFileSync(join(jsDir, 'package.json'), 'utf8'));
  for (const file of files) {
    if (file.endsWith('.js') && file !== 'wasm_exec.js') copyFileSync(join(jsDir, file), join(dir, file));
  }
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

// A list as markMany hands it to the module: an array, or its packed text.
const unpacked = (list) => (typeof list === 'string' ? list.split('\0') : list);

// The module's side of the bridge. api is what it hands to ready(); exit()
// ends the Go program (go.run's promise resolves).

function fakeModule({ api, callReady = true } = {}) {
  const seen = {};
  let exit;
  const calls = [];
  const theApi = {
    markUnread: (...args) => { calls.push(args); return Promise.resolve(true); },
    markMany: (...args) => { calls.push(args); return Promise.resolve(unpacked(args[0]).map(() => true)); },
    stats: () => ({ requests: 1, settled: 1 }),
    close: () => { seen.closed = true; setImmediate(() => exit()); },
    hearProgress: () => { seen.heard = (seen.heard ?? 0) + 1; },
    ...api,
  };
  globalThis.fakeGo = {
    run(go, instance, goGlobal) {
      seen.go = go;
      seen.instance = instance;
      seen.key = go.env.MARKUNREAD_BRIDGE;
      seen.goGlobal = goGlobal;
      seen.bridge = goGlobal[seen.key];
      seen.options = { ...seen.bridge.options };
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

  test('status is undefined when there was none; attempts 0 says no request was made (the module passes 0)', () => {
    const err = new MarkUnreadError('DIALOG_ID_EMPTY', 'Dialog ID can\'t be empty', 0, 0);
    assert.equal(err.status, undefined);
    assert.equal(err.attempts, 0);
    assert.equal(new MarkUnreadError('QUEUE_FULL', 'full').attempts, undefined, 'not counted: not given');
  });
});

// What the shim refuses itself, synchronously within load(): types and
// names. Numeric bounds are the module's (wasm/unread/config.go Options):
// integration.test.js checks load() rejects with its messages.
describe('load() option validation', () => {
  const cases = [
    ['options not an object', 5, /options must be an object/],
    ['unknown option', { limit: {} }, /unknown option "limit"/],
    ['an inherited-looking unknown option', { debug: true }, /unknown option "debug"/],
    ['a string perSecond', { limits: { perSecond: '2' } }, /options.limits.perSecond must be a number, got 2/],
    ['unknown limit', { limits: { perMinute: 5 } }, /unknown option "limits.perMinute"/],
    ['limits not an object', { limits: 3 }, /limits must be an object/],
    ['batch not a boolean', { batch: 'yes' }, /batch must be true or false/],
    ['infinite timeout', { timeoutMs: Infinity }, /options.timeoutMs must be a number, got Infinity/],
    ['string queueSize', { queueSize: '10' }, /options.queueSize must be a number, got 10/],
    ['boolean bulkQueueSize', { bulkQueueSize: true }, /options.bulkQueueSize must be a number/],
    ['NaN maxAttempts', { maxAttempts: NaN }, /options.maxAttempts must be a number, got NaN/],
    ['fetch not a function', { fetch: 'fetch' }, /fetch must be a function/],
    ['onLog not a function', { onLog: {} }, /onLog must be a function/],
    ['wasmUrl not a URL', { wasmUrl: 5 }, /wasmUrl must be a string or a URL/],
    ['portal not a string', { portal: 443 }, /portal must be a URL string/],
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

  test('load() with no auth source at all rejects with NO_AUTH before fetching the module', async () => {
    const requested = serveWasm();
    await assert.rejects(load(), (err) => err instanceof MarkUnreadError && err.code === 'NO_AUTH' && /no auth source/.test(err.description));
    assert.equal(requested.length, 0);
  });
});

const AUTH = { domain: 'example.bitrix24.com', accessToken: 't' };

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
    // Only what the page gave, under the names of the module's option list.
    assert.deepEqual(m.seen.options, { 'limits.perSecond': 5, batch: false, pageSecure: false });
    assert.equal(bridge.fetch, pageFetch);
    assert.deepEqual({ ...await bridge.auth.token() }, { portal: 'https://example.bitrix24.com', accessToken: 't' });
    assert.equal(bridge.auth.refresh, undefined, 'a plain source without refresh gives the module none');
    assert.equal(bridge.onLog, undefined, 'no onLog, no log events');
    const err = bridge.newError('MESSAGE_ID_ERROR', 'Message ID can\'t be empty', 400, 1);
    assert.ok(err instanceof MarkUnreadError);
    assert.equal(err.status, 400);
    assert.equal(bridge.newError('QUEUE_FULL', 'full', 0, 0).status, undefined);
  });

  test('newError removes the tokens the auth source gave out, and token parameters, from the description', async () => {
    serveWasm();
    const m = fakeModule();
    await load({ auth: { domain: 'example.bitrix24.com', accessToken: 'first-token-0123456789', refresh: async () => ({ accessToken: 'fresh-token-0123456789' }) } });
    const { bridge } = m.seen;
    await bridge.auth.token();
    await bridge.auth.refresh();
    const err = bridge.newError('INVALID_REQUEST', 'body was DIALOG_ID=chat1&auth=first-token-0123456789, then fresh-token-0123456789; REFRESH_ID=r1', 400, 1);
    assert.equal(err.description, 'body was DIALOG_ID=chat1&auth=[redacted], then [redacted]; REFRESH_ID=[redacted]');
    assert.equal(err.message, `INVALID_REQUEST: ${err.description}`);
    assert.doesNotMatch(String(err.stack), /token-0123456789/);
  });

  test('every load() uses a fresh bridge key', async () => {
    serveWasm();
    const a = fakeModule();
    await load({ auth: AUTH });
    const b = fakeModule();
    await load({ auth: AUTH });
    assert.notEqual(a.seen.key, b.seen.key);
  });

  test('defaults: the wasm beside the shim, the page fetch, pageSecure from the origin, no numbers (the module\'s defaults hold)', async () => {
    const requested = serveWasm();
    const m = fakeModule();
    globalThis.origin = 'https://app.example';
    try {
      await load({ auth: AUTH });
    } finally {
      delete globalThis.origin;
    }
    assert.equal(requested[0], pathToFileURL(join(dir, 'markunread.wasm')).href);
    assert.equal(typeof m.seen.bridge.fetch, 'function');
    assert.deepEqual(m.seen.options, { pageSecure: true, batch: true });
  });

  test('every numeric option the page gave reaches the module as given, out of bounds or not', async () => {
    serveWasm();
    const m = fakeModule();
    await load({ auth: AUTH, limits: { perSecond: 1e-300, burst: 1.5 }, timeoutMs: 1e-7, queueSize: 3, bulkQueueSize: 7, maxAttempts: 1000 });
    assert.deepEqual(m.seen.options, {
      pageSecure: false, batch: true, 'limits.perSecond': 1e-300, 'limits.burst': 1.5, timeoutMs: 1e-7, queueSize: 3, bulkQueueSize: 7, maxAttempts: 1000,
    });
  });

  test('the module\'s refusal rejects load(): BAD_OPTION as a TypeError, INVALID_PORTAL as a MarkUnreadError', async () => {
    serveWasm();
    const refusing = (code, description) => ({
      run(go, instance, goGlobal) {
        goGlobal[go.env.MARKUNREAD_BRIDGE].refuse(code, description);
        return Promise.resolve(); // the Go program ends after refusing
      },
    });
    globalThis.fakeGo = refusing('BAD_OPTION', 'options.timeoutMs must be a number from 1 to 86400000, not 1e-07');
    await assert.rejects(load({ auth: AUTH, timeoutMs: 1e-7 }),
      (err) => err instanceof TypeError && err.message === 'markunread: options.timeoutMs must be a number from 1 to 86400000, not 1e-07');
    globalThis.fakeGo = refusing('INVALID_PORTAL', 'plain http is allowed only for loopback hosts');
    await assert.rejects(load({ auth: AUTH, portal: 'http://example.com' }),
      (err) => err instanceof MarkUnreadError && err.code === 'INVALID_PORTAL' && /loopback/.test(err.description));
  });

  test('a module without markMany, close or hearProgress is refused as another version', async () => {
    for (const missing of ['markMany', 'close', 'hearProgress']) {
      serveWasm();
      fakeModule({ api: { [missing]: undefined } });
      await assert.rejects(load({ auth: AUTH }), /not the version this shim expects/, missing);
    }
  });

  test('options.portal reaches the module, which lets it override the auth source', async () => {
    serveWasm();
    const m = fakeModule();
    await load({ auth: { domain: 'example.bitrix24.com', accessToken: 't' }, portal: 'http://127.0.0.1:9/' });
    assert.equal(m.seen.options.portal, 'http://127.0.0.1:9/', 'as given: the module parses and checks it');
    assert.deepEqual({ ...await m.seen.bridge.auth.token() }, { portal: 'https://example.bitrix24.com', accessToken: 't' });
  });

  test('a wasm served with the wrong MIME type still loads, with a warning', async (t) => {
    serveWasm({ type: 'application/octet-stream' });
    fakeModule();
    const warn = t.mock.method(console, 'warn', () => {});
    await load({ auth: AUTH });
    assert.equal(warn.mock.callCount(), 1);
    assert.match(warn.mock.calls[0].arguments[0], /serve \.wasm files as application\/wasm/);
  });

  test('a wasm that cannot be fetched rejects with a clear Error', async () => {
    serveWasm({ status: 404 });
    fakeModule();
    await assert.rejects(load({ auth: AUTH, wasmUrl: 'https://app.example/x.wasm' }), /cannot fetch https:\/\/app.example\/x.wasm: HTTP 404/);
    globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
    await assert.rejects(load({ auth: AUTH }), /cannot fetch .*: Failed to fetch/);
  });

  test('bytes that are not wasm reject with a clear Error', async () => {
    serveWasm({ bytes: new Uint8Array([0x01, 0x02, 0x03, 0x04, 0x05]) });
    fakeModule();
    await assert.rejects(load({ auth: AUTH }), /cannot instantiate .*markunread\.wasm: /);
  });

  test('an HTML page instead of the module (a dev server\'s fallback) says so, and asks whether wasmUrl is right', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const page = new TextEncoder().encode('\ufeff\n<!doctype html><html><body>app</body></html>');
    for (const type of ['text/html', 'application/wasm', '']) {
      serveWasm({ bytes: page, type });
      fakeModule();
      await assert.rejects(load({ auth: AUTH, wasmUrl: 'http://localhost:5173/src/markunread.wasm' }), (err) => {
        assert.ok(err instanceof Error && !(err instanceof MarkUnreadError), 'the same kind of error as any load step');
        assert.match(err.message, /^markunread: cannot instantiate http:\/\/localhost:5173\/src\/markunread\.wasm: an HTML page came back instead of the module/);
        assert.match(err.message, /is wasmUrl right\?$/);
        if (type === 'text/html') assert.match(err.message, /served as "text\/html"/);
        return true;
      }, `served as ${type || 'nothing'}`);
    }
    assert.equal(warn.mock.callCount(), 0, 'no advice about the MIME type of a module that never came');
  });

  test('a Go program that exits before ready rejects load()', async () => {
    serveWasm();
    globalThis.fakeGo = { run: async () => {} };
    await assert.rejects(load({ auth: AUTH }), /stopped while starting/);
  });

  test('a module that never calls ready rejects load() after a bound', async (t) => {
    serveWasm();
    fakeModule({ callReady: false });
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const loading = load({ auth: AUTH });
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
    const client = await load({ auth: AUTH, ...opts?.load });
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
    const { client } = await loaded({ api: { markUnread: () => Promise.reject(err) } });
    await assert.rejects(client.markUnread('x y', 1), (e) => e === err);
  });

  test('an already aborted signal goes to the module, which refuses and counts the call (integration.test.js)', async () => {
    const { client, calls } = await loaded();
    const ctl = new AbortController();
    ctl.abort(new Error('user left'));
    await client.markUnread('chat29', 12, { signal: ctl.signal });
    assert.equal(calls.length, 1);
    assert.equal(calls[0][2], ctl.signal);
  });

  test('a third argument that is not an options object rejects with a TypeError', async () => {
    const { client, calls } = await loaded();
    const returned = client.markUnread('chat29', 12, 'fast');
    assert.ok(returned instanceof Promise, 'it rejects, it does not throw');
    await assert.rejects(returned, TypeError);
    await assert.rejects(client.markUnread('chat29', 12, { signal: 'soon' }), /signal must be an AbortSignal/);
    assert.equal(calls.length, 0);
  });

  test('stats() gives the module\'s counters as it gives them (their names are unread.Stats.Fields)', async () => {
    const figures = { requests: 3, abandoned: 1 };
    const { client } = await loaded({ api: { stats: () => figures } });
    assert.equal(client.stats(), figures);
  });

  test('onSettle dispatches a progress event with the settled call as detail, once someone listens', async () => {
    const { client, seen } = await loaded();
    const events = [];
    seen.bridge.onSettle('chat1', 1, true, null, false, 1, 1, 0, 0, 0);
    assert.equal(seen.heard, undefined, 'the module is told of no listener yet');
    client.addEventListener('progress', (e) => events.push(e));
    client.addEventListener('progress', () => {});
    client.addEventListener('other', () => {});
    assert.equal(seen.heard, 1, 'the module is told once, at the first progress listener');
    // onSettle(dialogId, messageId, ok, code, bulk, settled, succeeded, failed, queued, inFlight)
    seen.bridge.onSettle('chat29', 12, false, 'MESSAGE_ID_ERROR', true, 1, 0, 1, 3, 2);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'progress');
    assert.deepEqual(events[0].detail, {
      dialogId: 'chat29', messageId: 12, ok: false, code: 'MESSAGE_ID_ERROR', bulk: true,
      settled: 1, succeeded: 0, failed: 1, queued: 3, inFlight: 2,
    });
  });

  test('once the Go program exits, pending and later calls reject with INTERNAL_ERROR', async () => {
    const pending = new Promise(() => {});
    const { client, exit } = await loaded({ api: { markUnread: () => pending } });
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
    const { client } = await loaded({ api: { markUnread: () => { calls++; throw new Error('Go program has already exited'); } } });
    await assert.rejects(client.markUnread('chat29', 12), (e) => e.code === 'INTERNAL_ERROR' && /already exited/.test(e.description));
    await assert.rejects(client.markUnread('chat29', 12), (e) => e.code === 'INTERNAL_ERROR');
    assert.equal(calls, 1);
  });

  test('a rejection that is not a MarkUnreadError is wrapped as INTERNAL_ERROR', async () => {
    const { client } = await loaded({ api: { markUnread: () => Promise.reject(new Error('boom')) } });
    await assert.rejects(client.markUnread('chat29', 12), (e) => e instanceof MarkUnreadError && e.code === 'INTERNAL_ERROR' && e.cause?.message === 'boom');
  });

  test('markMany hands the module the pairs as two lists, in order, both shapes accepted; strings and finite numbers packed', async () => {
    const { client, calls } = await loaded();
    const ctl = new AbortController();
    const results = await client.markMany([['chat1', 5], { dialogId: 'chat2', messageId: '6' }, [7]], { signal: ctl.signal });
    // dialogs pack; messages hold an undefined, so they go as an array
    assert.deepEqual(calls[0].slice(0, 3), ['schat1\0schat2\0n7', [5, '6', undefined], ctl.signal]);
    assert.deepEqual(results, [
      { dialogId: 'chat1', messageId: 5, ok: true },
      { dialogId: 'chat2', messageId: '6', ok: true },
      { dialogId: 7, messageId: undefined, ok: true },
    ]);
  });

  test('markMany packs a list only when every element survives the text: no NUL, no NaN, Infinity or -0, no other type', async () => {
    const { client, calls } = await loaded();
    const lists = [
      [['s1', 1.5e300], ['\u{1F600}\ud800', -2]],
      [['a\0b', 1], ['c', NaN]],
      [['a', Infinity], ['b', -0]],
      [['a', 10n], [null, true]],
    ];
    for (const pairs of lists) await client.markMany(pairs);
    assert.deepEqual(calls.map((c) => c.slice(0, 2)), [
      ['ss1\0s\u{1F600}\ud800', 'n1.5e+300\0n-2'],
      [['a\0b', 'c'], [1, NaN]],
      ['sa\0sb', [Infinity, -0]],
      [['a', null], [10n, true]],
    ]);
  });

  test('markMany maps each outcome to {dialogId, messageId, ok, error?} and counts progress', async () => {
    const bad = new MarkUnreadError('MESSAGE_ID_ERROR', 'Message ID can\'t be empty', 0, 0);
    const { client } = await loaded({
      api: {
        markMany: (dialogs, messages, signal, onEach) => {
          onEach(1, false);
          onEach(0, true);
          return Promise.resolve([true, bad]);
        },
      },
    });
    const progress = [];
    const results = await client.markMany([['chat1', 1], ['chat2', -1]], { onProgress: (p) => progress.push(p) });
    assert.deepEqual(results, [
      { dialogId: 'chat1', messageId: 1, ok: true },
      { dialogId: 'chat2', messageId: -1, ok: false, error: bad },
    ]);
    assert.deepEqual(progress, [
      { done: 1, total: 2, succeeded: 0, failed: 1 },
      { done: 2, total: 2, succeeded: 1, failed: 1 },
    ]);
  });

  test('markMany refuses what is not a list, or options of the wrong type, with a TypeError', async () => {
    const { client, calls } = await loaded();
    await assert.rejects(client.markMany('chat1'), /pairs must be an array/);
    await assert.rejects(client.markMany([], 5), /second argument of markMany must be an object/);
    await assert.rejects(client.markMany([], { onProgress: 'yes' }), /onProgress must be a function/);
    await assert.rejects(client.markMany([], { signal: {} }), /signal must be an AbortSignal/);
    assert.equal(calls.length, 0);
  });

  test('close(): pending calls reject CLIENT_CLOSED, later ones at once, stats() keeps its last figures', async () => {
    const { client, seen } = await loaded({ api: { markUnread: () => new Promise(() => {}), stats: () => ({ requests: 4, settled: 2 }) } });
    const pending = client.markUnread('chat29', 12);
    const closing = client.close();
    assert.ok(closing instanceof Promise);
    await closing;
    assert.equal(seen.closed, true, 'the module was told to close');
    await assert.rejects(pending, (e) => e instanceof MarkUnreadError && e.code === 'CLIENT_CLOSED');
    await assert.rejects(client.markUnread('chat29', 13), (e) => e.code === 'CLIENT_CLOSED');
    await assert.rejects(client.markMany([['chat29', 13]]), (e) => e.code === 'CLIENT_CLOSED');
    assert.deepEqual(client.stats(), { requests: 4, settled: 2 });
    assert.equal(client.close(), closing, 'a second close() is the first one');
  });

  test('onLog gets each event as a frozen plain object, tokens redacted, only the named fields', async () => {
    const events = [];
    const { seen } = await loaded({ load: { onLog: (e) => events.push(e), auth: { domain: 'example.bitrix24.com', accessToken: 'secret-token-0123456789' } } });
    await seen.bridge.auth.token();
    seen.bridge.onLog({ kind: 'retry', message: 'again with auth=secret-token-0123456789', code: 'QUERY_LIMIT_EXCEEDED', waitMs: 500, commands: 3, extra: 'x' });
    seen.bridge.onLog({ kind: 'refresh', message: 'refreshing' });
    assert.deepEqual(events, [
      { kind: 'retry', message: 'again with auth=[redacted]', code: 'QUERY_LIMIT_EXCEEDED', waitMs: 500, commands: 3 },
      { kind: 'refresh', message: 'refreshing' },
    ]);
    assert.ok(events.every(Object.isFrozen));
  });
});
