// close() and diagnostics, with the real module (dist/, from `make build`)
// against the emulator: pending calls reject CLIENT_CLOSED, nothing keeps
// Node running after close, memory returns, and onLog tells of a full
// bucket without a token. Run under the emulator like integration.test.js.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const { MARKUNREAD_APP_URL: appURL, MARKUNREAD_PORTAL_URL: portalURL, MARKUNREAD_TOKEN: token } = process.env;
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const shim = pathToFileURL(join(dist, 'markunread.js')).href;
const skip = (!portalURL && 'needs the emulator: run through make test-js')
  || (!existsSync(join(dist, 'markunread.wasm')) && 'needs dist/: run `make build` first');

const reset = async (config = {}) => {
  const res = await fetch(`${portalURL}/devportal/reset`, { method: 'POST', body: JSON.stringify(config) });
  assert.equal(res.status, 200);
};
const state = async () => (await fetch(`${portalURL}/devportal/state`, { cache: 'no-store' })).json();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('close() and onLog against devportal', { skip }, () => {
  let load, MarkUnreadError;
  const options = (more = {}) => ({
    wasmUrl: `${appURL}/dist/markunread.wasm`,
    auth: { domain: new URL(portalURL).host, accessToken: token },
    portal: portalURL,
    ...more,
  });

  before(async () => {
    await reset();
    ({ load, MarkUnreadError } = await import(shim));
  });

  after(() => reset());

  test('close(): calls under way and waiting reject CLIENT_CLOSED, later calls at once, stats() keeps its figures', async () => {
    await reset({ latencyMs: 5000 }); // every answer takes 5 s: the calls are still pending at close
    try {
      const client = await load(options({ batch: false }));
      const pending = Array.from({ length: 3 }, (_, i) => client.markUnread(`chat${300 + i}`, 1));
      // A bulk job under way resolves, each pair not yet done failing with
      // CLIENT_CLOSED: it says which pairs were marked before the close.
      const bulk = client.markMany([['chat310', 1], ['chat311', 1]]);
      await sleep(300);
      const started = Date.now();
      const closing = client.close();
      assert.ok(closing instanceof Promise);
      for (const call of pending) {
        await assert.rejects(call, (e) => e instanceof MarkUnreadError && e.code === 'CLIENT_CLOSED');
      }
      const outcomes = await bulk;
      assert.deepEqual(outcomes.map((r) => [r.dialogId, r.ok, r.error?.code]), [['chat310', false, 'CLIENT_CLOSED'], ['chat311', false, 'CLIENT_CLOSED']]);
      await closing;
      assert.ok(Date.now() - started < 4000, `close() waited ${Date.now() - started} ms: it waited for the portal`);
      await assert.rejects(client.markUnread('chat312', 1), (e) => e.code === 'CLIENT_CLOSED');
      await assert.rejects(client.markMany([['chat312', 1]]), (e) => e.code === 'CLIENT_CLOSED');
      const figures = client.stats();
      assert.equal(typeof figures.requests, 'number');
      assert.deepEqual(client.stats(), figures, 'the last figures stay');
      await client.close(); // a second close is harmless
    } finally {
      await reset();
    }
  });

  test('after close() nothing keeps Node running: a script that loads, marks and closes exits by itself', async () => {
    const script = `
      import { load } from ${JSON.stringify(shim)};
      const client = await load(${JSON.stringify(options())});
      console.log(await client.markUnread('chat320', 5));
      await client.markMany([['chat321', 6], ['chat322', 7]]);
      await client.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const started = Date.now();
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve('killed'); }, 10_000);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.equal(code, 0, `the script did not exit by itself within 10 s (${code}); stdout: ${out} stderr: ${err}`);
    assert.equal(out, 'true\nclosed\n');
    assert.equal(err, '', 'nothing on stderr (no "Go program has already exited")');
    console.log(`load, mark, close and exit took ${Date.now() - started} ms`);
    assert.equal((await state()).unread.chat322, 7);
  });

  test('memory returns after close(): heap and wasm memory end near where they were before load()', async () => {
    await reset();
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc');
    const measure = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await sleep(20);
      }
      const m = process.memoryUsage();
      // A module's wasm memory is counted in external.
      return { heap: m.heapUsed, buffers: m.arrayBuffers + m.external };
    };
    // A few requests per client (batches of 50), well within the bucket.
    const used = async () => {
      const client = await load(options());
      await Promise.all(Array.from({ length: 150 }, (_, i) => client.markUnread(`chat${400 + i}`, 1)));
      await client.markMany(Array.from({ length: 150 }, (_, i) => [`chat${400 + i}`, 2]));
      return client;
    };
    await (await used()).close(); // warm-up: compiled code, fetch's pools
    const before = await measure();
    let clients = [];
    for (let i = 0; i < 5; i++) clients.push(await used());
    const alive = await measure();
    for (const client of clients) await client.close();
    clients = null;
    const after = await measure();
    const mb = (n) => (n / 1e6).toFixed(1);
    console.log(`heap ${mb(before.heap)} MB before, ${mb(alive.heap)} with 5 clients, ${mb(after.heap)} after close; `
      + `buffers and external ${mb(before.buffers)}, ${mb(alive.buffers)}, ${mb(after.buffers)} MB`);
    // Live, 5 modules add about 3.5 MB of wasm memory each; after close,
    // about one module's worth stays (it does not grow with the number of
    // clients closed): the bound allows that, not one per client.
    assert.ok(alive.buffers - before.buffers > 12e6, 'the measure sees live modules (their wasm memory)');
    assert.ok(after.buffers - before.buffers < 8e6, `wasm memory kept after close: ${mb(after.buffers - before.buffers)} MB`);
    assert.ok(after.heap - before.heap < 3e6, `heap kept after close: ${mb(after.heap - before.heap)} MB`);
  });

  test('onLog tells of a full bucket, as frozen events without a token', async () => {
    await reset({ prefill: 50 }); // another app filled the portal's bucket
    const events = [];
    let client;
    try {
      client = await load(options({ onLog: (e) => events.push(e) }));
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => client.markUnread(`chat${500 + i}`, 1)));
      assert.ok(results.every((r) => r === true));
      await sleep(50); // events are handed over from a goroutine of their own
    } finally {
      await client?.close();
      await reset();
    }
    const kinds = events.map((e) => e.kind);
    assert.ok(kinds.includes('bucket-full') || kinds.includes('retry'), `kinds: ${kinds}`);
    for (const e of events) {
      assert.ok(Object.isFrozen(e));
      assert.deepEqual(Object.keys(e).filter((k) => !['kind', 'message', 'code', 'waitMs', 'commands'].includes(k)), []);
      assert.equal(typeof e.kind, 'string');
      assert.equal(typeof e.message, 'string');
      for (const value of Object.values(e)) assert.equal(String(value).includes(token), false, `a token in ${JSON.stringify(e)}`);
    }
    const full = events.find((e) => e.kind === 'bucket-full');
    if (full) assert.equal(full.code, 'QUERY_LIMIT_EXCEEDED');
    console.log(`log events: ${JSON.stringify(events.map(({ kind, code, waitMs, commands }) => ({ kind, code, waitMs, commands })))}`);
  });
});
