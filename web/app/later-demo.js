// The demo's marks that outlive the page: "Remind me in a minute" and "Finish
// in the background" hand a job to the app's Worker (later() in the shim),
// which marks as this user when due, with the page closed or not. Served by
// the emulator alone (make run) there is no Worker: the section says so.
import { later } from '/dist/markunread.js';

const $ = (id) => document.getElementById(id);
// A minute; ?remindMs=N in the page's URL makes it N ms (the browser test's 3 s).
const REMIND_AFTER_MS = Number(new URLSearchParams(location.search).get('remindMs')) || 60_000;
const POLL_MS = 1_000;

function say(text, kind) {
  const el = $('laterStatus');
  el.textContent = text;
  el.className = kind;
}

const describe = (err) => (err && err.code ? `${err.code}: ${err.description}` : String(err));
const time = (ms) => new Date(ms).toLocaleTimeString('en-GB');

function drawJobs(list, jobs) {
  $('jobs').replaceChildren(...list.slice(0, 6).map((job) => {
    const li = document.createElement('li');
    li.dataset.state = job.state;
    li.dataset.id = job.id;
    let text = `${job.total === 1 ? '1 dialog' : `${job.total} dialogs`} at ${time(job.at)}: ${job.state}, ${job.marked} marked`;
    if (job.failed) text += `, ${job.failed} failed`;
    if (job.error) text += ` (${job.error.code}: ${job.error.description})`;
    else if (job.errors.length) text += ` (first: ${job.errors[0].dialog} ${job.errors[0].code})`;
    li.append(text);
    if (job.state === 'scheduled' || job.state === 'running') {
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'b24-btn b24-btn-light';
      cancel.textContent = 'Cancel';
      cancel.addEventListener('click', () => jobs.cancel(job.id).then(() => refresh(jobs), (err) => say(describe(err), 'error')));
      li.append(' ', cancel);
    }
    return li;
  }));
}

let polling = null;

async function refresh(jobs) {
  const list = await jobs.list();
  drawJobs(list, jobs);
  const busy = list.some((j) => j.state === 'scheduled' || j.state === 'running');
  if (busy && !polling) polling = setInterval(() => refresh(jobs).catch((err) => say(describe(err), 'error')), POLL_MS);
  if (!busy && polling) {
    clearInterval(polling);
    polling = null;
  }
  return list;
}

/**
 * @param {{single: () => [string, string], many: () => Array<[string, string]>}} pairs what the page's two forms hold
 */
export async function startLater(pairs) {
  // The Worker names itself in the page's Server-Timing; served by anything
  // else, the page asks it nothing.
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav?.serverTiming?.some((e) => e.name === 'markunread-worker')) {
    say('Needs the app\'s Worker: run make worker and open the page it prints.', 'muted');
    return;
  }
  const jobs = later();
  try {
    await refresh(jobs);
  } catch (err) {
    say(describe(err), 'error');
    return;
  }
  say('Jobs run in the app\'s Worker, as you, with this page closed too.', 'muted');
  for (const id of ['remind', 'background']) $(id).disabled = false;
  const hand = async (list, at, what) => {
    try {
      const job = await jobs.markLater(list, at === undefined ? {} : { at });
      say(`${what}: job ${job.id.slice(0, 6)} for ${time(job.at)}.`, 'ok');
      await refresh(jobs);
    } catch (err) {
      say(describe(err), 'error');
    }
  };
  $('remind').addEventListener('click', () => hand([pairs.single()], Date.now() + REMIND_AFTER_MS, 'Reminder set'));
  $('background').addEventListener('click', () => hand(pairs.many(), undefined, 'Handed to the Worker'));
}
