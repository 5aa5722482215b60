// The real module (dist/, from `make build`) on a careless or hostile page,
// in Node: a polluted Object.prototype, a page fetch that ignores its
// AbortSignal, a .wasm download that stalls, a portal that echoes the token,
// the page's global names, and memory over many calls. The portal here is
// the page's options.fetch answering in-process; the .wasm comes from a
// loopback HTTP server this file starts.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const skip = !existsSync(join(dist, 'markunread.wasm')) && 'needs dist/: run `make build` first';

const TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const PORTAL = 'https://example.bitrix24.com';

// A stand-in for the portal behind options.fetch: it answers im.dialog.unread
// and batch as the portal does, or as answer(url, form) says.
function portalFetch({ answer, seen = [] } = {}) {
  const fetch = async (url, init) => {
    const form = new URLSearchParams(init.body);
    seen?.push({ url, form });
    const custom = answer?.(url, form, init);
    if (custom) return custom;
    if (url.endsWith('/rest/batch')) {
      const result = {};
      for (const [k] of form) {
        const m = /^cmd\[(.+)\]$/.exec(k);
        if (m) result[m[1]] = true;
      }
      return Response.json({ result: { result, result_error: [] } });
    }
    return Response.json({ result: true });
  };
  return { fetch, seen };
}

describe('the real module on a hostile page', { skip }, () => {
  let server;
  let wasmUrl;
  let load;
  const globalsBefore = Object.getOwnPropertyNames(globalThis).sort();
  const stalled = new Set();

  before(async () => {
    const wasm = readFileSync(join(dist, 'markunread.wasm'));
    server = createServer((req, res) => {
      if (req.url === '/silent.wasm') { stalled.add(res); return; } // never answers
      if (req.url === '/partial.wasm') { // the headers and 100 bytes, then nothing
        res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': String(wasm.length) });
        res.write(wasm.subarray(0, 100));
        stalled.add(res);
        return;
      }
      if (req.url === '/slow.wasm') { // five pieces, 3 s apart: slow, but never 10 s without a byte
        res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': String(wasm.length) });
        const piece = Math.ceil(wasm.length / 5);
        let sent = 0;
        const next = () => {
          res.write(wasm.subarray(sent, sent + piece));
          sent += piece;
          if (sent >= wasm.length) res.end();
          else setTimeout(next, 3000);
        };
        next();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/wasm' });
      res.end(wasm);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    wasmUrl = `http://127.0.0.1:${server.address().port}/markunread.wasm`;
    ({ load } = await import(pathToFileURL(join(dist, 'markunread.js'))));
  });

  after(() => {
    server?.closeAllConnections();
    server?.close();
    // Loaded Go programs keep Node's event loop alive; end once reported.
    setTimeout(() => process.exit(), 200).unref();
  });

  const open = (options = {}) => load({ wasmUrl, auth: { domain: PORTAL, accessToken: TOKEN }, limits: { perSecond: 1000, burst: 10000 }, ...options });

  test('importing and loading leaves the global object\'s own names exactly as they were', async () => {
    const client = await open({ fetch: portalFetch().fetch });
    assert.equal(await client.markUnread('chat1', 1), true);
    assert.deepEqual(Object.getOwnPropertyNames(globalThis).sort(), globalsBefore);
    for (const name of ['fs', 'path', 'Go']) assert.equal(name in globalThis, false, name);
  });

  test('a polluted Object.prototype changes nothing: options, limits and auth are read from own properties', async () => {
    const { fetch, seen } = portalFetch();
    const attacker = 'http://127.0.0.1:9';
    const polluted = {
      portal: attacker, wasmUrl: `${attacker}/evil.wasm`, fetch: () => { throw new Error('the attacker\'s fetch was used'); },
      timeoutMs: 1e-7, perSecond: 1e-300, burst: 1, batch: false, domain: '127.0.0.1:9', refresh: () => ({ accessToken: 'stolen' }),
    };
    for (const [k, v] of Object.entries(polluted)) Object.prototype[k] = v; // eslint-disable-line no-extend-native
    let client;
    try {
      client = await load({ wasmUrl, auth: { domain: PORTAL, accessToken: TOKEN }, fetch });
      assert.deepEqual(await Promise.all([client.markUnread('chat1', 1), client.markUnread('chat2', 1)]), [true, true]);
    } finally {
      for (const k of Object.keys(polluted)) delete Object.prototype[k];
    }
    assert.ok(seen.length >= 1);
    for (const { url, form } of seen) {
      assert.ok(url.startsWith(`${PORTAL}/rest/`), `a request went to ${url}`);
      assert.equal(form.get('auth'), TOKEN);
    }
  });

  test('BigInt arguments reject with the portal\'s codes, not INTERNAL_ERROR', async () => {
    const client = await open({ fetch: portalFetch().fetch });
    await assert.rejects(client.markUnread(29n, 12), (e) => e.code === 'DIALOG_ID_EMPTY');
    await assert.rejects(client.markUnread('chat29', 12n), (e) => e.code === 'MESSAGE_ID_ERROR');
    assert.equal(client.stats().requests, 0);
  });

  test('a portal error that echoes the request body does not put the token into the error', async () => {
    const fetch = portalFetch({
      answer: (url, form) => Response.json({ error: 'INVALID_REQUEST', error_description: `cannot parse ${form.toString()} (auth=${form.get('auth')})` }, { status: 400 }),
    }).fetch;
    const client = await open({ fetch });
    const err = await client.markUnread('chat1', 1).then(() => assert.fail('resolved'), (e) => e);
    assert.equal(err.code, 'INVALID_REQUEST');
    assert.match(err.description, /cannot parse/);
    for (const text of [err.message, err.description, String(err), JSON.stringify(err)]) {
      assert.equal(text.includes(TOKEN), false, `the token is in: ${text}`);
    }
  });

  test('a page fetch that ignores its AbortSignal and never answers does not wedge the module', async () => {
    let first = true;
    const { fetch, seen } = portalFetch({
      answer: () => {
        if (!first) return null;
        first = false;
        return new Promise(() => {}); // ignores init.signal, never settles
      },
    });
    // A call's timeout is also its request's: the first call times out at
    // 3 s, its request is aborted, and given up on 2 s later.
    const client = await open({ fetch, timeoutMs: 3000 });
    await assert.rejects(client.markUnread('chat1', 1), (e) => e.code === 'TIMEOUT');
    // The stuck request is given up on: its slot is free for the next ones.
    for (let i = 2; i <= 4; i++) assert.equal(await client.markUnread(`chat${i}`, 1), true, `call ${i}`);
    assert.equal(seen.length, 4);
    // It is counted once the 2 s grace after its abort has passed.
    for (let i = 0; i < 50 && client.stats().abandoned === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(client.stats().abandoned, 1);
    await client.close();
  });

  test('a .wasm download that stalls rejects load() and says which step stalled; a slow one that keeps moving loads', { timeout: 30_000 }, async () => {
    const base = wasmUrl.replace(/markunread\.wasm$/, '');
    const started = Date.now();
    const auth = { domain: PORTAL, accessToken: TOKEN };
    const [silent, partial, slow] = await Promise.allSettled([
      load({ wasmUrl: `${base}silent.wasm`, auth }),
      load({ wasmUrl: `${base}partial.wasm`, auth }),
      load({ wasmUrl: `${base}slow.wasm`, auth }),
    ]);
    const seconds = (Date.now() - started) / 1000;
    console.log(`stalled downloads rejected, slow one loaded, after ${seconds.toFixed(1)} s`);
    assert.equal(silent.status, 'rejected');
    assert.match(silent.reason.message, /loading .*silent\.wasm stalled: no answer from the server within 10 s/);
    assert.equal(partial.status, 'rejected');
    assert.match(partial.reason.message, /the download of .*partial\.wasm stalled: no byte for 10 s after 100 bytes/);
    assert.ok(seconds < 20, `took ${seconds} s`);
    assert.equal(slow.status, 'fulfilled', `a slow download that keeps moving (12 s in all) was cut: ${slow.reason?.message}`);
    await slow.value.close();
  });

  test('memory: settled calls are not kept (heap growth per call after warm-up)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc');
    const client = await open({ fetch: portalFetch({ seen: null }).fetch, queueSize: 1_000_000 });
    // The Go side keeps the JS values it made (a Promise, an error, a
    // progress object) until its own garbage collector runs, which for
    // refused calls can be 100,000 calls later; wasm_exec.js's table of
    // shared values then grows to that high-water mark. A huge refused
    // argument (copied into Go's heap) makes Go collect: it is done every
    // 5000 calls here, so the figure is what stays, not what waits for Go.
    const huge = 'x'.repeat(16 << 20); // one string, so one shared value throughout
    const goCollect = async () => {
      await client.markUnread(huge, 1).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 10));
    };
    let collects = 0;
    const run = async (n, ok) => {
      for (let done = 0; done < n; done += 1000) {
        const calls = [];
        for (let i = 0; i < 1000; i++) {
          const call = ok ? client.markUnread(`chat${i}`, done + 1) : client.markUnread(`chat${i}`, -1);
          calls.push(ok ? call : call.catch((e) => e.code));
        }
        const results = await Promise.all(calls);
        assert.ok(results.every((r) => r === (ok ? true : 'MESSAGE_ID_ERROR')), `results: ${results.slice(0, 3)}`);
        if ((done + 1000) % 5000 === 0) {
          await goCollect();
          collects++;
        }
      }
    };
    const heap = async () => {
      for (let i = 0; i < 2; i++) {
        await goCollect();
        collects++;
        gc();
      }
      return process.memoryUsage().heapUsed;
    };
    await run(10_000, true);
    await run(10_000, false);
    const start = await heap();
    await run(20_000, true);
    const afterOk = await heap();
    await run(20_000, false);
    const afterFailed = await heap();
    const perOk = (afterOk - start) / 20_000;
    const perFailed = (afterFailed - afterOk) / 20_000;
    const perCall = (afterFailed - start) / 40_000;
    console.log(`heap growth per call: ${perOk.toFixed(1)} B (20000 ok), ${perFailed.toFixed(1)} B (20000 failed), ${perCall.toFixed(1)} B overall (goal < 40); `
      + `heap ${(start / 1e6).toFixed(1)} MB -> ${(afterFailed / 1e6).toFixed(1)} MB`);
    assert.equal(client.stats().settled, 60_000 + collects);
    // Kept outcomes cost hundreds of bytes per call; the goal is < 40.
    assert.ok(perOk < 40 && perFailed < 40, `${perOk.toFixed(1)} B per ok call, ${perFailed.toFixed(1)} B per failed call`);
  });
});
