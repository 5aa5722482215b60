// The demo app: what an app developer's page does with the module. It gives
// load() no auth, so inside the portal's iframe the module asks the portal
// for a token itself.
import { load } from '/dist/markunread.js';
import { fitPortalFrame } from './frame.js';
import { startLater } from './later-demo.js';

const $ = (id) => document.getElementById(id);

function show(el, text, kind) {
  el.textContent = text;
  el.className = kind;
}

// Numbers as the portal's page writes them (5,008), so both sides read alike.
const num = (n) => n.toLocaleString('en-US');

function describe(err) {
  return err && err.code ? `${err.code}: ${err.description}` : String(err);
}

// The module's counters, each with what it counts (shown as a tooltip).
const STATS = [
  ['queued', 'calls waiting in the module for their turn'],
  ['inFlight', 'calls in a request under way'],
  ['requests', 'HTTP requests sent to the portal; a batch of up to 50 commands is one'],
  ['batches', 'of the requests, batch requests'],
  ['commands', 'marks sent, each attempt and each command of a batch counted: calls sent + retries'],
  ['retries', 'calls sent again after a failed attempt (full bucket 503, 5xx, network error, expired token)'],
  ['refreshes', 'token refreshes asked of the portal'],
  ['status503', 'answers QUERY_LIMIT_EXCEEDED: the portal\'s bucket was full (someone else used it)'],
  ['status429', 'answers OPERATION_TIME_LIMIT: the method used up its time budget'],
  ['succeeded', 'calls that resolved true'],
  ['failed', 'calls that rejected with an error'],
];

function drawStats(client) {
  const s = client.stats();
  $('stats').replaceChildren(...STATS.map(([name, help]) => {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = name;
    dt.title = help;
    dd.textContent = num(s[name]);
    dd.id = `stat-${name}`;
    div.append(dt, dd);
    return div;
  }));
}

function listedDialogs() {
  return $('dialogs').value.split(/[\n,]/).map((d) => d.trim()).filter((d) => d !== '');
}

// The failures list shows at most this many calls, then a summary by code.
const FAILURES_SHOWN = 8;

// The bulk run in progress: the progress event moves its bar.
let run = null;

function setProgress(settled, total, state) {
  const bar = $('progress');
  bar.setAttribute('aria-valuenow', String(settled));
  bar.setAttribute('aria-valuemax', String(total));
  bar.dataset.state = state;
  $('progressBar').style.width = total ? `${(100 * settled) / total}%` : '0';
  $('progressPercent').textContent = total ? `${Math.floor((100 * settled) / total)}%` : '';
}

function drawProgress(detail) {
  if (!run) return;
  const settled = Math.min(detail.settled - run.base, run.total);
  const failed = detail.failed - run.failedBase;
  setProgress(settled, run.total, 'running');
  show($('progressText'), `${num(settled)} of ${num(run.total)} settled, ${num(failed)} failed`, 'muted');
}

function drawFailures(failures) {
  const items = failures.slice(0, FAILURES_SHOWN).map(({ dialog, err }) => {
    const li = document.createElement('li');
    li.className = 'error';
    li.textContent = `${dialog}: ${describe(err)}`;
    return li;
  });
  if (failures.length > FAILURES_SHOWN) {
    const byCode = new Map();
    for (const { err } of failures.slice(FAILURES_SHOWN)) {
      const code = (err && err.code) || 'Error';
      byCode.set(code, (byCode.get(code) || 0) + 1);
    }
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = `and ${failures.length - FAILURES_SHOWN} more: ` + [...byCode].map(([code, n]) => `${code} ×${n}`).join(', ');
    items.push(li);
  }
  $('failures').replaceChildren(...items);
}

async function markAll(client) {
  const dialogs = listedDialogs();
  const message = $('bulkMessage').value;
  $('failures').replaceChildren();
  // A new run starts neutral, whatever the last one ended with.
  show($('progressText'), `0 of ${num(dialogs.length)} settled`, 'muted');
  setProgress(0, dialogs.length, 'running');
  const before = client.stats();
  run = { total: dialogs.length, base: before.settled, failedBase: before.failed };
  const started = performance.now();
  // One bulk job: its marks wait behind any single mark made meanwhile, and
  // it resolves to one outcome per pair.
  const outcomes = await client.markMany(dialogs.map((dialog) => [dialog, message]));
  run = null;
  drawStats(client);
  const failures = outcomes.filter((o) => !o.ok).map((o) => ({ dialog: o.dialogId, err: o.error }));
  drawFailures(failures);
  const failed = failures.length;
  setProgress(dialogs.length, dialogs.length, failed ? 'failed' : 'done');
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  show($('progressText'), `${num(dialogs.length - failed)} of ${num(dialogs.length)} marked unread in ${seconds} s; ${num(failed)} failed`, failed ? 'error' : 'ok');
}

// Typing N fills the list with chat1…chatN at once, before the module is
// ready too: what the box shows is what "Mark all unread" marks.
function fillList() {
  const n = Math.min(Math.max(Math.floor(Number($('count').value)) || 0, 0), 10000);
  if (n === 0) return;
  $('dialogs').value = Array.from({ length: n }, (_, i) => `chat${i + 1}`).join(', ');
  $('listHint').hidden = true;
}

async function main() {
  fitPortalFrame($('page'));
  $('count').addEventListener('input', fillList);
  startLater({
    single: () => [$('dialog').value, $('message').value],
    many: () => listedDialogs().map((dialog) => [dialog, $('bulkMessage').value]),
  });

  let client;
  try {
    client = await load();
  } catch (err) {
    show($('status'), `The module did not load: ${describe(err)}`, 'error');
    return;
  }
  show($('status'), 'Ready.', 'muted');
  $('mark').disabled = false;
  $('markAll').disabled = false;
  drawStats(client);
  // The module's progress event fires as each call settles: a live view of
  // its queue for bulk work.
  client.addEventListener('progress', (event) => {
    drawStats(client);
    drawProgress(event.detail);
  });
  // Requests no call waits for (app.info, asked once to learn the plan) settle
  // no call: the counters are also redrawn each second.
  setInterval(() => drawStats(client), 1000);

  $('single').addEventListener('submit', async (event) => {
    event.preventDefault();
    show($('result'), 'sending…', 'muted');
    try {
      const ok = await client.markUnread($('dialog').value, $('message').value);
      show($('result'), String(ok), 'ok');
    } catch (err) {
      show($('result'), describe(err), 'error');
    }
  });

  $('bulk').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('markAll').disabled = true;
    try {
      await markAll(client);
    } finally {
      $('markAll').disabled = false;
    }
  });
}

main();
