// Integration tests: the real module (dist/markunread.wasm, the Go toolchain's
// wasm_exec.js) against the devportal emulator. They run only under it:
//
//   make build
//   go run ./web/cmd/devportal -portal 127.0.0.1:0 -app 127.0.0.1:0 -dist dist -- node --test js/test/
//
// which sets MARKUNREAD_APP_URL, MARKUNREAD_PORTAL_URL and MARKUNREAD_TOKEN.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, copyFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const { MARKUNREAD_APP_URL: appURL, MARKUNREAD_PORTAL_URL: portalURL, MARKUNREAD_TOKEN: token } = process.env;
const missing = Object.entries({ MARKUNREAD_APP_URL: appURL, MARKUNREAD_PORTAL_URL: portalURL, MARKUNREAD_TOKEN: token })
  .filter(([, v]) => !v).map(([k]) => k);
const skip = missing.length > 0
  && `needs ${missing.join(', ')}: run under the emulator, `
  + '`go run ./web/cmd/devportal -portal 127.0.0.1:0 -app 127.0.0.1:0 -dist dist -- node --test js/test/`';

const jsDir = join(dirname(fileURLToPath(import.meta.url)), '..');

// dist/wasm_exec.js, which `make build` makes from the toolchain's own
// wasm_exec.js: the shim imports it as an ES module.
function wasmExecPath() {
  const dist = join(jsDir, '..', 'dist', 'wasm_exec.js');
  if (!existsSync(dist)) throw new Error('dist/wasm_exec.js is missing: run `make build` first');
  return dist;
}

const state = async () => (await fetch(`${portalURL}/devportal/state`, { cache: 'no-store' })).json();

describe('the real module against devportal', { skip }, () => {
  let dir;
  let load, MarkUnreadError;
  let client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'markunread-it-'));
    copyFileSync(join(jsDir, 'markunread.js'), join(dir, 'markunread.js'));
    copyFileSync(join(jsDir, 'auth.js'), join(dir, 'auth.js'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    copyFileSync(wasmExecPath(), join(dir, 'wasm_exec.js'));
    ({ load, MarkUnreadError } = await import(pathToFileURL(join(dir, 'markunread.js'))));
    client = await load({
      wasmUrl: `${appURL}/dist/markunread.wasm`,
      auth: { domain: new URL(portalURL).host, accessToken: token },
      portal: portalURL,
    });
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    // The Go program never exits, and its pending timers keep Node's event
    // loop alive, so this test process would never end on its own. Exit once
    // the runner has reported (process.exitCode carries any failure).
    if (client) setTimeout(() => process.exit(), 200).unref();
  });

  test('markUnread resolves true and the portal records it', async () => {
    assert.equal(await client.markUnread('chat29', 12), true);
    assert.equal((await state()).unread.chat29, 12);
  });

  const bad = [
    [[undefined, null], 'DIALOG_ID_EMPTY'],
    [['chat29', -1], 'MESSAGE_ID_ERROR'],
    [['chat 29', 12], 'DIALOG_ID_EMPTY'],
    [['chat29', 1.5], 'MESSAGE_ID_ERROR'],
    [['', 0], 'DIALOG_ID_EMPTY'],
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
        return true;
      });
    }
    assert.equal(client.stats().requests, before, 'refused locally, no request sent');
    assert.equal(await client.markUnread('chat30', 7), true);
    assert.equal((await state()).unread.chat30, 7);
  });

  test('an invalid token rejects with invalid_token and status 401', async () => {
    const other = await load({
      wasmUrl: `${appURL}/dist/markunread.wasm`,
      auth: { domain: new URL(portalURL).host, accessToken: 'not-a-token' },
      portal: portalURL,
    });
    await assert.rejects(other.markUnread('chat31', 5), (err) => {
      assert.ok(err instanceof MarkUnreadError, String(err));
      assert.equal(err.code, 'invalid_token');
      assert.equal(err.status, 401);
      return true;
    });
    assert.equal((await state()).unread.chat31, undefined);
  });

  test('stats() has every counter as a number', () => {
    const stats = client.stats();
    for (const key of ['requests', 'batches', 'commands', 'retries', 'refreshes', 'queued', 'inFlight', 'status503', 'status429', 'settled', 'succeeded', 'failed']) {
      assert.equal(typeof stats[key], 'number', key);
    }
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
});
