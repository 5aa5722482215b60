import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
// The built shim (make build), as an app imports it.
import { later, MarkUnreadError } from '../../dist/markunread.js';

const session = { memberId: 'm1', accessToken: 'secret-access', refreshToken: 'secret-refresh' };

// A fake Worker: records each request, answers with answer(url, body).
function fakeWorker(answer) {
  const calls = [];
  const fetch = async (url, init) => {
    const body = JSON.parse(init.body);
    calls.push({ url, init, body });
    const [status, json] = answer(url, body);
    return new Response(typeof json === 'string' ? json : JSON.stringify(json), { status });
  };
  return { calls, fetch };
}

describe('later()', () => {
  test('markLater posts the pairs, the time and the session in the body, never in the URL', async () => {
    const w = fakeWorker(() => [201, { job: { id: 'j1', state: 'scheduled' } }]);
    const jobs = later({ server: 'https://app.example/', session, fetch: w.fetch });
    const at = Date.now() + 60_000;
    const job = await jobs.markLater([['chat29', 12], [256, 3]], { at });
    assert.deepEqual(job, { id: 'j1', state: 'scheduled' });
    assert.equal(w.calls[0].url, 'https://app.example/api/jobs');
    assert.equal(w.calls[0].init.method, 'POST');
    assert.deepEqual(w.calls[0].body, { ...session, pairs: [['chat29', 12], [256, 3]], at });
    assert.doesNotMatch(w.calls[0].url, /secret/);
  });

  test('no time means now: the body has no at', async () => {
    const w = fakeWorker(() => [201, { job: { id: 'j2' } }]);
    await later({ session, fetch: w.fetch }).markLater([['chat1', 1]]);
    assert.equal('at' in w.calls[0].body, false);
    assert.equal(w.calls[0].url, '/api/jobs');
  });

  test('list and cancel send only the member and the access token', async () => {
    const w = fakeWorker((url) => (url.endsWith('/list') ? [200, { jobs: [{ id: 'a' }] }] : [200, { job: { id: 'a', state: 'cancelled' } }]));
    const jobs = later({ session: () => session, fetch: w.fetch });
    assert.deepEqual(await jobs.list(), [{ id: 'a' }]);
    assert.equal((await jobs.cancel('a')).state, 'cancelled');
    assert.deepEqual(w.calls[0].body, { memberId: 'm1', accessToken: 'secret-access' });
    assert.deepEqual(w.calls[1].body, { memberId: 'm1', accessToken: 'secret-access', id: 'a' });
  });

  test("a refusal rejects with a MarkUnreadError carrying the Worker's code and status", async () => {
    const w = fakeWorker(() => [403, { error: 'TOKEN_REFUSED', error_description: 'the portal did not accept the access token' }]);
    await assert.rejects(later({ session, fetch: w.fetch }).markLater([['chat1', 1]]), (err) => {
      assert.ok(err instanceof MarkUnreadError);
      assert.equal(err.code, 'TOKEN_REFUSED');
      assert.equal(err.status, 403);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  });

  test('a server that is not the Worker (no JSON) says so', async () => {
    const w = fakeWorker(() => [404, 'not found']);
    await assert.rejects(later({ session, fetch: w.fetch }).list(), { code: 'BAD_RESPONSE', status: 404 });
  });

  test('outside a portal iframe and without a session it rejects with NO_AUTH', async () => {
    const w = fakeWorker(() => [200, {}]);
    await assert.rejects(later({ fetch: w.fetch }).list(), { code: 'NO_AUTH' });
    await assert.rejects(later({ session: { memberId: 'm' }, fetch: w.fetch }).list(), { code: 'NO_AUTH' });
    assert.equal(w.calls.length, 0);
  });

  test('options of the wrong type are refused at once, with a TypeError that names them', () => {
    const fetch = async () => new Response('{}');
    for (const [options, name] of [
      [{ server: 42, fetch }, /server/],
      [{ timeoutMs: '5000', fetch }, /timeoutMs/],
      [{ timeoutMs: -1, fetch }, /timeoutMs/],
      [{ timeoutMs: NaN, fetch }, /timeoutMs/],
      [{ fetch: 'fetch' }, /fetch/],
      [{ session: 'token', fetch }, /session/],
    ]) {
      assert.throws(() => later(options), (err) => err instanceof TypeError && name.test(err.message), JSON.stringify(options));
    }
  });

  test('a 200 without the job or the list is no answer of the Worker\'s: BAD_RESPONSE, not undefined', async () => {
    for (const json of [{}, { job: null }, { job: 'j1' }, { jobs: {} }, [], 'null']) {
      const w = fakeWorker(() => [200, json]);
      const jobs = later({ session, fetch: w.fetch });
      await assert.rejects(jobs.markLater([['chat1', 1]]), { code: 'BAD_RESPONSE' }, `markLater: ${JSON.stringify(json)}`);
      await assert.rejects(jobs.cancel('a'), { code: 'BAD_RESPONSE' }, `cancel: ${JSON.stringify(json)}`);
      if (!Array.isArray(json?.jobs)) await assert.rejects(jobs.list(), { code: 'BAD_RESPONSE' }, `list: ${JSON.stringify(json)}`);
    }
    const created = fakeWorker(() => [201, {}]);
    await assert.rejects(later({ session, fetch: created.fetch }).markLater([['chat1', 1]]), { code: 'BAD_RESPONSE', status: 201 },
      'the error carries the status the Worker answered with');
  });

  test('bad arguments are refused without a request', async () => {
    const w = fakeWorker(() => [201, {}]);
    const jobs = later({ session, fetch: w.fetch });
    await assert.rejects(jobs.markLater('chat1'), TypeError);
    await assert.rejects(jobs.markLater([['chat1', 1]], { at: 'tomorrow' }), TypeError);
    assert.equal(w.calls.length, 0);
  });
});
