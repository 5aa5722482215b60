// The bench page: tools/bench calls these functions over the DevTools
// protocol and reads back plain JSON. Every loop here is bounded in count,
// and every call in it by a timeout.
import { load } from '/dist/markunread.js';

const now = () => performance.now();

// A plain fetch of im.dialog.unread, the way a page would write it: a
// form-urlencoded POST (a simple CORS request) with the token in the body.
// It resolves to null on success, else to the error code.
async function plainMark(portal, token, dialogId, messageId, timeoutMs) {
  const body = new URLSearchParams({ DIALOG_ID: dialogId, MESSAGE_ID: String(messageId), auth: token });
  let res;
  try {
    res = await fetch(`${portal}/rest/im.dialog.unread`, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    return err?.name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK_ERROR';
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (res.ok && json?.result === true) return null;
  return json?.error ?? `HTTP_${res.status}`;
}

function auth(cfg) {
  return { domain: cfg.portal, accessToken: cfg.token };
}

function count(codes, code) {
  codes[code] = (codes[code] ?? 0) + 1;
}

// n concurrent marks of distinct dialogs through the module. Wall time runs
// from the first markUnread call (after load) to the last settle.
async function marks(cfg) {
  const options = { auth: auth(cfg) };
  if (cfg.batch !== undefined) options.batch = cfg.batch;
  if (cfg.timeoutMs !== undefined) options.timeoutMs = cfg.timeoutMs;
  const client = await load(options);
  const codes = {};
  const okMs = [];
  const t0 = now();
  await Promise.all(Array.from({ length: cfg.n }, (_, i) =>
    client.markUnread(`chat${i + 1}`, 100).then(
      () => { okMs.push(now() - t0); },
      (err) => { count(codes, err?.code ?? String(err)); },
    )));
  const wallMs = now() - t0;
  okMs.sort((a, b) => a - b);
  return { wallMs, ok: okMs.length, okMs, codes, stats: client.stats() };
}

// n concurrent plain fetch() POSTs of distinct dialogs from this page.
async function fetches(cfg) {
  const codes = {};
  const okMs = [];
  const t0 = now();
  await Promise.all(Array.from({ length: cfg.n }, async (_, i) => {
    const code = await plainMark(cfg.portal, cfg.token, `chat${i + 1}`, 100, cfg.timeoutMs);
    if (code === null) okMs.push(now() - t0); else count(codes, code);
  }));
  const wallMs = now() - t0;
  okMs.sort((a, b) => a - b);
  return { wallMs, ok: okMs.length, okMs, codes };
}

// One load() of wasmUrl, timed from the call to its outcome. The floor
// program exports only markUnread, so the shim refuses its api right after
// ready() with "ready gave no markUnread/stats": that refusal marks the
// moment the floor was ready, and counts as a start.
async function startup(cfg) {
  const url = new URL(cfg.wasmUrl, location.href).href;
  const t0 = now();
  let error = null;
  try {
    await load({ wasmUrl: url, auth: auth(cfg) });
  } catch (err) {
    error = String(err?.message ?? err);
  }
  const ms = now() - t0;
  const entry = performance.getEntriesByName(url).at(-1);
  return {
    ms,
    error,
    transferSize: entry?.transferSize ?? -1,
    encodedBodySize: entry?.encodedBodySize ?? -1,
    decodedBodySize: entry?.decodedBodySize ?? -1,
    fetchMs: entry ? entry.responseEnd - entry.startTime : -1,
  };
}

// n sequential round trips each through the module and as a plain fetch,
// alternating which goes first; the first `warmup` pairs are not returned.
async function roundTrips(cfg) {
  const client = await load({ auth: auth(cfg), limits: { perSecond: cfg.perSecond, burst: cfg.burst } });
  const moduleMs = [];
  const fetchMs = [];
  const timeModule = async (dialog) => {
    const t = now();
    await client.markUnread(dialog, 100);
    return now() - t;
  };
  const timeFetch = async (dialog) => {
    const t = now();
    const code = await plainMark(cfg.portal, cfg.token, dialog, 100, cfg.timeoutMs);
    if (code !== null) throw new Error(`plain fetch failed: ${code}`);
    return now() - t;
  };
  for (let i = 0; i < cfg.warmup + cfg.n; i++) {
    const dialog = `chat${i + 1}`;
    let a, b;
    if (i % 2 === 0) {
      a = await timeModule(dialog);
      b = await timeFetch(dialog);
    } else {
      b = await timeFetch(dialog);
      a = await timeModule(dialog);
    }
    if (i >= cfg.warmup) {
      moduleMs.push(a);
      fetchMs.push(b);
    }
  }
  return { moduleMs, fetchMs, stats: client.stats() };
}

// ---- workloads -------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// [dialogId, messageId] pairs for n marks of distinct dialogs from first on.
function pairsOf(n, first) {
  return Array.from({ length: n }, (_, i) => [`chat${first + i}`, 100]);
}

// The options a workload gives load(): limits only when it says so, so that
// "defaults" are the module's own.
function loadOptions(cfg) {
  const options = { auth: auth(cfg) };
  if (cfg.limits !== undefined) options.limits = cfg.limits;
  return options;
}

// bulkOf sends pairs as one bulk job: client.markMany when the module has
// it, else markUnread in a loop (what an app writes today). It resolves to
// the count of marks that succeeded, the failures by code, and which API ran.
async function bulkOf(client, pairs, signal) {
  const codes = {};
  const descriptions = {}; // the first description of each code
  const failed = (err) => {
    const code = err?.code ?? String(err);
    count(codes, code);
    descriptions[code] ??= String(err?.description ?? err?.message ?? err);
  };
  let ok = 0;
  if (typeof client.markMany === 'function') {
    const outcomes = await client.markMany(pairs, { signal });
    for (const o of outcomes) {
      if (o.ok === true) ok++; else failed(o.error);
    }
    return { ok, codes, descriptions, api: 'markMany' };
  }
  await Promise.all(pairs.map(([d, m]) => client.markUnread(d, m, { signal }).then(
    () => { ok++; },
    failed,
  )));
  return { ok, codes, descriptions, api: 'markUnread loop' };
}

// One bulk job of n marks. With startAt (epoch ms) the job starts then, so
// that several tabs start together; startEpoch and endEpoch let the caller
// measure across tabs.
// What prepare() made ready for the next bulkMarks or sdkBatches: a loaded
// client, or an SDK instance.
let prepared = null;

// Loads what the next job needs (the module's client, or the SDK), so that
// a job started at startAt starts then, however slow loading was.
async function prepare(cfg) {
  prepared = cfg.sdk ? await newSDK(cfg) : await load(loadOptions(cfg));
  return true;
}

function takePrepared() {
  const p = prepared;
  prepared = null;
  return p;
}

async function bulkMarks(cfg) {
  const client = takePrepared() ?? await load(loadOptions(cfg));
  if (cfg.startAt !== undefined) await sleep(Math.max(0, cfg.startAt - Date.now()));
  const startEpoch = Date.now();
  const t0 = now();
  const res = await bulkOf(client, pairsOf(cfg.n, cfg.first ?? 1));
  const wallMs = now() - t0;
  return { ...res, wallMs, startEpoch, endEpoch: Date.now(), stats: client.stats() };
}

// A single click (one markUnread) clickAfterMs after a bulk job of n marks
// started. The bulk job is then aborted and awaited, so that nothing of it
// reaches the portal after this returns.
async function clickDuringBulk(cfg) {
  const client = await load(loadOptions(cfg));
  const ac = new AbortController();
  let settled = 0;
  const pairs = pairsOf(cfg.n, 1);
  const job = bulkOf(client, pairs, ac.signal).finally(() => { settled = pairs.length; });
  await sleep(cfg.clickAfterMs);
  const queuedAtClick = client.stats().queued;
  const t = now();
  let clickCode = null;
  try {
    await client.markUnread('chat999999', 100, { signal: AbortSignal.timeout(cfg.clickTimeoutMs) });
  } catch (err) {
    clickCode = err?.code ?? String(err);
  }
  const clickMs = now() - t;
  const bulkOkAtClick = client.stats().succeeded - (clickCode === null ? 1 : 0);
  ac.abort();
  const bulk = await job;
  return { clickMs, clickCode, queuedAtClick, bulkOkAtClick, bulkSettled: settled, api: bulk.api, stats: client.stats() };
}

// The official SDK (its UMD bundle at /sdk/, window.B24Js), loaded once.
let sdkLoaded;
function loadSDK() {
  sdkLoaded ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/sdk/index.min.js';
    s.onload = () => resolve(window.B24Js);
    s.onerror = () => reject(new Error('the SDK bundle did not load from /sdk/index.min.js'));
    document.head.append(s);
  });
  return sdkLoaded;
}

// n marks through the official SDK's explicit batch API
// (b24.actions.v2.batch.make), 50 commands a chunk, every chunk sent at once.
async function newSDK(cfg) {
  const B24Js = await loadSDK();
  const b24 = new B24Js.B24OAuth({
    applicationToken: '', userId: 1, memberId: 'bench', accessToken: cfg.token, refreshToken: '',
    expires: Math.floor(Date.now() / 1000) + 3600, expiresIn: 3600, scope: 'im',
    // The SDK appends "/method" to clientEndpoint.
    domain: cfg.portal, clientEndpoint: `${cfg.portal}/rest`, serverEndpoint: `${cfg.portal}/rest`, status: 'L',
  }, { clientId: '', clientSecret: '' });
  b24.offClientSideWarning();
  return b24;
}

async function sdkBatches(cfg) {
  const b24 = takePrepared() ?? await newSDK(cfg);
  const pairs = pairsOf(cfg.n, cfg.first ?? 1);
  const chunks = [];
  for (let i = 0; i < pairs.length; i += 50) chunks.push(pairs.slice(i, i + 50));
  const codes = {};
  let ok = 0;
  if (cfg.startAt !== undefined) await sleep(Math.max(0, cfg.startAt - Date.now()));
  const startEpoch = Date.now();
  const t0 = now();
  await Promise.all(chunks.map(async (chunk) => {
    const calls = chunk.map(([d, m]) => ['im.dialog.unread', { DIALOG_ID: d, MESSAGE_ID: m }]);
    try {
      const res = await b24.actions.v2.batch.make({ calls, options: { isHaltOnError: false, returnAjaxResult: true } });
      for (const r of res.getData() ?? []) {
        if (r?.isSuccess) ok++; else count(codes, 'COMMAND_ERROR');
      }
    } catch (err) {
      const code = err?.code ?? 'SDK_ERROR';
      for (let i = 0; i < chunk.length; i++) count(codes, code);
      console.error('SDK batch failed', code, err?.message);
    }
  }));
  return { wallMs: now() - t0, ok, codes, api: 'SDK batch', startEpoch, endEpoch: Date.now() };
}

window.bench = { marks, fetches, startup, roundTrips, prepare, bulkMarks, clickDuringBulk, sdkBatches };
window.benchReady = true;
