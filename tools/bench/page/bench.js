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

window.bench = { marks, fetches, startup, roundTrips };
window.benchReady = true;
