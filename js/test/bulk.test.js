// markMany against the emulator: per-pair outcomes, progress to the end,
// and a click made during a large bulk job, which goes ahead of it. The
// real module from dist/ (`make build`); run under the emulator like
// integration.test.js. This file resets the emulator to a faster plan
// (20/s, burst 40) so a 5,000-mark job takes seconds, not minutes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const { MARKUNREAD_APP_URL: appURL, MARKUNREAD_PORTAL_URL: portalURL, MARKUNREAD_TOKEN: token } = process.env;
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const skip = (!portalURL && 'needs the emulator: run through make test-js')
  || (!existsSync(join(dist, 'markunread.wasm')) && 'needs dist/: run `make build` first');

const PLAN = { perSecond: 20, burst: 40 };
const state = async () => (await fetch(`${portalURL}/devportal/state`, { cache: 'no-store' })).json();
const reset = async (config = {}) => {
  const res = await fetch(`${portalURL}/devportal/reset`, { method: 'POST', body: JSON.stringify(config) });
  assert.equal(res.status, 200);
};

describe('markMany against devportal', { skip }, () => {
  let load, MarkUnreadError;
  let client;

  before(async () => {
    await reset({ rate: PLAN.perSecond, burst: PLAN.burst });
    ({ load, MarkUnreadError } = await import(pathToFileURL(join(dist, 'markunread.js'))));
    client = await load({
      wasmUrl: `${appURL}/dist/markunread.wasm`,
      auth: { domain: new URL(portalURL).host, accessToken: token },
      portal: portalURL,
      limits: PLAN,
    });
  });

  after(async () => {
    await client?.close();
    await reset();
  });

  test('resolves to one outcome per pair, in order; bad pairs fail with the portal\'s codes, the rest are marked', async () => {
    const results = await client.markMany([
      ['chat201', 3],
      { dialogId: 'chat202', messageId: '4' },
      ['chat203', -1],
      ['not a dialog', 1],
      { dialogId: 'chat204' },
      [205, 6],
    ]);
    assert.equal(results.length, 6);
    assert.deepEqual(results.map((r) => [r.dialogId, r.messageId, r.ok]), [
      ['chat201', 3, true], ['chat202', '4', true], ['chat203', -1, false], ['not a dialog', 1, false], ['chat204', undefined, false], [205, 6, true],
    ]);
    for (const [i, code] of [[2, 'MESSAGE_ID_ERROR'], [3, 'DIALOG_ID_EMPTY'], [4, 'MESSAGE_ID_ERROR']]) {
      assert.ok(results[i].error instanceof MarkUnreadError, `pair ${i}: ${results[i].error}`);
      assert.equal(results[i].error.code, code, `pair ${i}`);
    }
    assert.ok(results.filter((r) => r.ok).every((r) => !('error' in r)));
    const unread = (await state()).unread;
    assert.equal(unread.chat201, 3);
    assert.equal(unread.chat202, 4);
    assert.equal(unread['205'], 6);
    assert.equal(unread.chat203, undefined);
  });

  test('onProgress counts every pair once and ends at done === total', async () => {
    const total = 300;
    const seen = [];
    const pairs = Array.from({ length: total }, (_, i) => [`chat${1000 + i}`, i % 7 === 0 ? 0 : i + 1]);
    const results = await client.markMany(pairs, { onProgress: (p) => seen.push(p) });
    const failed = pairs.filter(([, m]) => m === 0).length;
    assert.equal(seen.length, total);
    seen.forEach((p, i) => {
      assert.equal(p.done, i + 1);
      assert.equal(p.total, total);
      assert.equal(p.succeeded + p.failed, p.done);
    });
    assert.deepEqual(seen.at(-1), { done: total, total, succeeded: total - failed, failed });
    assert.equal(results.filter((r) => !r.ok).length, failed);
  });

  test('a click made during a bulk job of 5,000 settles before the job ends', async () => {
    const total = 5000;
    const pairs = Array.from({ length: total }, (_, i) => [`chat${10_000 + i}`, 1 + (i % 50)]);
    let done = 0;
    let clicked;
    const started = Date.now();
    let bulkEnded = null;
    const job = client.markMany(pairs, {
      onProgress: (p) => {
        done = p.done;
        // The click comes once the job is under way: its first request answered.
        if (!clicked && p.done >= 50) {
          const at = Date.now();
          clicked = client.markUnread('chat29', 77).then((ok) => ({ ok, doneThen: done, ms: Date.now() - at }));
        }
      },
    }).then((results) => { bulkEnded = Date.now(); return results; });
    const results = await job;
    const click = await clicked;
    assert.equal(click.ok, true);
    assert.ok(results.every((r) => r.ok), 'every bulk mark succeeded');
    console.log(`bulk ${total} marks in ${((bulkEnded - started) / 1000).toFixed(1)} s; the click settled after ${click.ms} ms, with ${click.doneThen} of ${total} done`);
    assert.ok(click.doneThen <= total - 50, `the click settled with ${click.doneThen} of ${total} bulk marks done: it waited behind the job`);
    assert.equal((await state()).unread.chat29, 77);
  });

  test('an aborted bulk job settles every pair: the ones not yet sent fail with ABORTED', async () => {
    const ctl = new AbortController();
    const pairs = Array.from({ length: 2000 }, (_, i) => [`chat${20_000 + i}`, 1]);
    const results = await client.markMany(pairs, {
      signal: ctl.signal,
      onProgress: (p) => { if (p.done === 50) ctl.abort(); },
    });
    assert.equal(results.length, pairs.length);
    const aborted = results.filter((r) => !r.ok);
    assert.ok(aborted.length > 0, 'some pairs were still waiting');
    assert.ok(aborted.every((r) => r.error.code === 'ABORTED'), `codes: ${[...new Set(aborted.map((r) => r.error.code))]}`);
    assert.ok(results.slice(0, 50).every((r) => r.ok), 'the first request\'s pairs were marked');
  });
});
