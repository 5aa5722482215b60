// The demo app: what an app developer's page does with the module. It gives
// load() no auth, so inside the portal's iframe the module asks the portal
// for a token itself.
import { load } from '/dist/markunread.js';

const $ = (id) => document.getElementById(id);

function show(el, text, kind) {
  el.textContent = text;
  el.className = kind;
}

function describe(err) {
  return err && err.code ? `${err.code}: ${err.description}` : String(err);
}

const STATS = ['queued', 'inFlight', 'requests', 'batches', 'commands', 'retries', 'refreshes', 'status503', 'status429', 'succeeded', 'failed'];

function drawStats(client) {
  const s = client.stats();
  $('stats').replaceChildren(...STATS.flatMap((name) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = name;
    dd.textContent = String(s[name]);
    dd.id = `stat-${name}`;
    return [dt, dd];
  }));
}

function bulkDialogs() {
  const n = Number($('count').value) || 0;
  if (n > 0) return Array.from({ length: n }, (_, i) => `chat${i + 1}`);
  return $('dialogs').value.split(/[\n,]/).map((d) => d.trim()).filter((d) => d !== '');
}

// The bulk run in progress: the progress event moves its bar.
let run = null;

function drawProgress(detail) {
  if (!run) return;
  const settled = Math.min(detail.settled - run.base, run.total);
  const failed = detail.failed - run.failedBase;
  $('progress').value = settled;
  $('progressText').textContent = `${settled} of ${run.total} settled, ${failed} failed`;
}

async function markAll(client) {
  const dialogs = bulkDialogs();
  const message = $('bulkMessage').value;
  const failures = $('failures');
  failures.replaceChildren();
  $('progress').max = Math.max(dialogs.length, 1);
  $('progress').value = 0;
  const before = client.stats();
  run = { total: dialogs.length, base: before.settled, failedBase: before.failed };
  const started = performance.now();
  const outcomes = await Promise.allSettled(dialogs.map((dialog) => client.markUnread(dialog, message)));
  run = null;
  let failed = 0;
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') return;
    failed++;
    const li = document.createElement('li');
    li.className = 'error';
    li.textContent = `${dialogs[i]}: ${describe(outcome.reason)}`;
    failures.append(li);
  });
  $('progress').value = dialogs.length;
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  show($('progressText'), `${dialogs.length - failed} of ${dialogs.length} marked unread in ${seconds} s; ${failed} failed`, failed ? 'error' : 'ok');
}

async function main() {
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
