// Compiled by `make typecheck` (tsc --strict, no output): pins what the
// declarations promise an app developer. Lines marked @ts-expect-error must
// stay errors. At the end, the JavaScript is held to them.
import { load as loadImpl } from './load.js';
import { later as laterImpl } from './later.js';
import { MarkUnreadError as MarkUnreadErrorImpl } from './client.js';
import { load, later, MarkUnreadError, type LaterJob, type LaterJobs, type MarkUnreadClient, type MarkUnreadErrorCode, type MarkUnreadStats } from './markunread.js';

async function usage(): Promise<void> {
  const client: MarkUnreadClient = await load({
    auth: { domain: 'example.bitrix24.com', accessToken: 't', refresh: async () => ({ accessToken: 'u' }) },
    limits: { perSecond: 5, burst: 250 },
    batch: true,
    timeoutMs: 30_000,
  });
  const ok: true = await client.markUnread('chat29', 12);
  await client.markUnread(256, '12', { signal: new AbortController().signal });

  client.addEventListener('progress', (event) => {
    const { settled, failed, queued, inFlight, dialogId, code } = event.detail;
    const done: number = settled + failed + queued + inFlight;
    const dialog: string | null = dialogId;
    const why: MarkUnreadErrorCode | null = code;
    void done, dialog, why;
  });

  const stats: MarkUnreadStats = client.stats();
  const waiting: number = stats.queued + stats.inFlight + stats.status503 + stats.status429;

  try {
    await client.markUnread('chat29', 12);
  } catch (err) {
    if (err instanceof MarkUnreadError) {
      const code: MarkUnreadErrorCode = err.code;
      const status: number | undefined = err.status;
      if (code === 'QUEUE_FULL' || code === 'expired_token' || code === 'SOME_FUTURE_CODE') void status;
    }
  }

  const outcomes = await client.markMany([['chat29', 12], { dialogId: 256, messageId: '3' }], {
    signal: new AbortController().signal,
    onProgress: ({ done, total }) => void (done / total),
  });
  for (const o of outcomes) {
    if (!o.ok) {
      const why: MarkUnreadErrorCode = o.error.code;
      void why;
    }
  }
  const logged = await load({ auth: { domain: 'example.bitrix24.com', accessToken: 't' }, bulkQueueSize: 50_000, onLog: (e) => void [e.kind, e.message, e.waitMs] });
  const closed: Promise<void> = logged.close();
  await closed;
  const abandoned: number = stats.abandoned;
  void abandoned;

  // @ts-expect-error markMany takes pairs, not dialog ids
  await client.markMany(['chat29']);
  // @ts-expect-error the dialog id is a string or a number
  await client.markUnread(['chat29'], 12);
  // @ts-expect-error limits take numbers
  await load({ limits: { perSecond: '2' } });
  // @ts-expect-error the explicit auth needs an access token
  await load({ auth: { domain: 'example.bitrix24.com' } });
  void ok, waiting;
}

void usage;

async function laterUsage(): Promise<void> {
  const jobs: LaterJobs = later({ session: { memberId: 'm', accessToken: 'a', refreshToken: 'r' } });
  const job: LaterJob = await jobs.markLater([['chat29', 12], [256, '3']], { at: Date.now() + 60_000 });
  const state: 'scheduled' | 'running' | 'done' | 'failed' | 'cancelled' = job.state;
  const marked: number = (await jobs.list())[0].marked;
  await jobs.cancel(job.id);
  await later().markLater([['chat1', 1]], { at: new Date() });
  // @ts-expect-error a pair is [dialogId, messageId]
  await jobs.markLater([['chat1']]);
  void state; void marked;
}
void laterUsage;

// The shim's JavaScript, as tsc reads its JSDoc, against these declarations:
// where the implementation drifts from what they promise, this fails.
const implemented: [typeof load, typeof later] = [loadImpl, laterImpl];
// tsc types the name of an Error subclass in JavaScript as Error's string.
const errors: new (...args: ConstructorParameters<typeof MarkUnreadError>) => Omit<MarkUnreadError, 'name'> = MarkUnreadErrorImpl;
void implemented, errors;
