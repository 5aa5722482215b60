// Type declarations for markunread.js.

/** Codes the Bitrix24 server sends for im.dialog.unread and its auth. */
export type ServerErrorCode =
  | 'MESSAGE_ID_ERROR'
  | 'DIALOG_ID_EMPTY'
  | 'QUERY_LIMIT_EXCEEDED'
  | 'OPERATION_TIME_LIMIT'
  | 'OVERLOAD_LIMIT'
  | 'INTERNAL_SERVER_ERROR'
  | 'expired_token'
  | 'invalid_token'
  | 'NO_AUTH_FOUND'
  | 'insufficient_scope'
  | 'INVALID_CREDENTIALS'
  | 'user_access_error'
  | 'ERROR_METHOD_NOT_FOUND';

/** Codes the module itself gives. */
export type ModuleErrorCode =
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'QUEUE_FULL'
  | 'BAD_RESPONSE'
  | 'NO_AUTH'
  | 'REFRESH_FAILED'
  | 'INVALID_PORTAL'
  | 'CLIENT_CLOSED'
  | 'INTERNAL_ERROR';

/** `(string & {})` keeps completion for the known codes and admits codes the server may add. */
export type MarkUnreadErrorCode = ServerErrorCode | ModuleErrorCode | (string & {});

/**
 * How a rejected markUnread call failed. message is `"<code>: <description>"`.
 * The module's errors never contain an access or refresh token (a portal
 * error that echoes the request has it replaced by "[redacted]"), and carry
 * no stack trace: it would show only the module's internals.
 */
export class MarkUnreadError extends Error {
  constructor(code: MarkUnreadErrorCode, description: string, status?: number, attempts?: number, options?: ErrorOptions);
  readonly name: 'MarkUnreadError';
  code: MarkUnreadErrorCode;
  description: string;
  /** The HTTP status of the answer that failed the call, when there was one. */
  status: number | undefined;
  /**
   * Requests made for this call: 0 when none was (its arguments were refused
   * locally, or it was cancelled or timed out before sending). Undefined on
   * an error the shim makes itself (the module failed or was closed).
   */
  attempts: number | undefined;
}

/** Credentials handed to the module: the portal's base URL, an access token and, when the source says, its life. */
export interface Credentials {
  portal: string;
  accessToken: string;
  /** Seconds the token has left when given; the module refreshes it shortly before. */
  expiresIn?: number;
}

/** An explicit token source. */
export interface PlainAuth {
  /** "name.bitrix24.com" (https is assumed), "host:port", or a full "https://..." URL. */
  domain: string;
  accessToken: string;
  /** Gives a fresh token after the server says the current one expired. Without it, calls fail with expired_token. */
  refresh?: () => Promise<{ accessToken: string }>;
}

/** The classic library's object (window.BX24). */
export interface BX24Like {
  init?(callback: () => void): void;
  getAuth(): false | { access_token: string; refresh_token?: string; expires_in?: unknown; domain: string; member_id?: string };
  refreshAuth(callback: (auth: false | { access_token: string; domain: string }) => void): void;
}

/** An @bitrix24/b24jssdk auth manager (B24Frame#auth). */
export interface B24FrameAuthLike {
  getAuthData(): false | { access_token: string; refresh_token?: string; expires?: number; expires_in?: number; domain: string; member_id?: string };
  refreshAuth(): Promise<false | { access_token: string; domain: string }>;
  getTargetOrigin?(): string;
}

/** An initialized @bitrix24/b24jssdk B24Frame (from `await initializeB24Frame()`). */
export interface B24FrameLike {
  readonly auth: B24FrameAuthLike;
}

export type AuthSource = PlainAuth | BX24Like | B24FrameLike | B24FrameAuthLike;

export interface LoadOptions {
  /** Where the module is. Default: markunread.wasm beside markunread.js. Serve it as application/wasm. */
  wasmUrl?: string | URL;
  /**
   * Where tokens come from. Default: window.BX24 if the page has it, else the
   * portal's postMessage protocol when the page is a portal app iframe; with
   * none of these, load() rejects with NO_AUTH.
   */
  auth?: AuthSource;
  /** The portal's base URL, overriding the one the auth source gives. Plain http only for loopback hosts; otherwise load() rejects with INVALID_PORTAL. */
  portal?: string | URL;
  /**
   * The portal's bucket, which the module paces its requests by. Default:
   * learned from the portal, starting at {perSecond: 2, burst: 50}.
   * perSecond: 0.01 to 1000; burst: an integer, 1 to 10000. Out of bounds,
   * load() rejects with a TypeError.
   */
  limits?: { perSecond?: number; burst?: number };
  /** Pack waiting calls into one `batch` request. Default true. */
  batch?: boolean;
  /** A call that has not settled after this long rejects with TIMEOUT. Default 120000; 1 to 86400000 (24 h). */
  timeoutMs?: number;
  /** markUnread calls waiting beyond this many reject at once with QUEUE_FULL. Default 10000; an integer, 1 to 1000000. */
  queueSize?: number;
  /** markMany pairs waiting beyond this many fail with QUEUE_FULL; their own queue. Default 100000; an integer, 1 to 10000000. */
  bulkQueueSize?: number;
  /** Requests made for one call before it fails. Default 6; an integer, 1 to 100. */
  maxAttempts?: number;
  /**
   * The fetch used for REST calls. Default: the page's fetch. One that ignores
   * its AbortSignal is given up on 2 s after the abort (counted in stats().abandoned).
   */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Hears of what the module does that no call shows: retries, a full bucket, waits, refreshes. Never given a token. */
  onLog?: (event: MarkUnreadLogEvent) => void;
}

/** One thing the module did that no call shows (a frozen object). */
export interface MarkUnreadLogEvent {
  readonly kind: 'retry' | 'bucket-full' | 'blocked' | 'refresh' | 'plan' | 'abandoned' | 'share' | (string & {});
  /** A sentence for people; never a token. */
  readonly message: string;
  /** The portal's or the module's code behind it. */
  readonly code?: MarkUnreadErrorCode;
  /** How long sending waits because of it. */
  readonly waitMs?: number;
  /** Commands concerned. */
  readonly commands?: number;
}

/** A pair for markMany: [dialogId, messageId] or {dialogId, messageId}. */
export type MarkPair = readonly [string | number, number | string] | { dialogId: string | number; messageId: number | string };

/** The outcome of one markMany pair, in the order given. */
export type MarkOutcome =
  | { dialogId: string | number; messageId: number | string; ok: true }
  | { dialogId: string | number; messageId: number | string; ok: false; error: MarkUnreadError };

export interface MarkManyOptions {
  /** Aborting it cancels the pairs not yet sent; they fail with ABORTED. */
  signal?: AbortSignal;
  /** Called as each pair settles. */
  onProgress?: (progress: { done: number; total: number; succeeded: number; failed: number }) => void;
}

export interface MarkUnreadOptions {
  /** Aborting it cancels the call while it is queued; the call rejects with ABORTED. */
  signal?: AbortSignal;
}

/** The detail of a `progress` event: the call that settled, and every counter of stats() after it. */
export interface MarkUnreadProgress {
  /** The dialog as sent (lower case); null for a call whose arguments were refused. */
  dialogId: string | null;
  messageId: number | null;
  ok: boolean;
  /** The error code when ok is false; null otherwise. */
  code: MarkUnreadErrorCode | null;
  /** Whether the call was a pair of a markMany job. */
  bulk: boolean;
  /** The client's totals once this call settled (as in stats()). */
  settled: number;
  succeeded: number;
  failed: number;
  queued: number;
  inFlight: number;
}

export interface MarkUnreadStats {
  requests: number;
  batches: number;
  commands: number;
  retries: number;
  refreshes: number;
  queued: number;
  inFlight: number;
  status503: number;
  status429: number;
  /** Requests aborted whose fetch had still not settled 2 s later, given up on so their calls could settle. */
  abandoned: number;
  settled: number;
  succeeded: number;
  failed: number;
}

export interface MarkUnreadEventMap {
  progress: CustomEvent<MarkUnreadProgress>;
}

export class MarkUnreadClient extends EventTarget {
  private constructor();
  /**
   * Marks messageId and every later message of the dialog as unread.
   * Resolves true; rejects with a MarkUnreadError.
   * @param dialogId "chatNNN", "sgNNN", "crmNNN" or a user id
   * @param messageId the first message to mark unread: an integer > 0, or its plain decimal string
   */
  markUnread(dialogId: string | number, messageId: number | string, options?: MarkUnreadOptions): Promise<true>;
  /**
   * Marks many pairs as one bulk job, behind every markUnread call and in its
   * own queue (bulkQueueSize), so it never delays a click. Resolves to one
   * outcome per pair, in order; a close() during the job fails the pairs not
   * yet done with CLIENT_CLOSED. Rejects only when the module fails or the
   * client was already closed.
   */
  markMany(pairs: readonly MarkPair[], options?: MarkManyOptions): Promise<MarkOutcome[]>;
  /**
   * Closes the client: pending calls reject with CLIENT_CLOSED, later calls at
   * once, the module's Go program ends and leaves nothing running. Resolves
   * when it has ended. stats() keeps its last figures.
   */
  close(): Promise<void>;
  /** Counters since load(), kept after close(). Throws MarkUnreadError (INTERNAL_ERROR) once the module has failed. */
  stats(): MarkUnreadStats;

  addEventListener<K extends keyof MarkUnreadEventMap>(
    type: K,
    listener: ((this: MarkUnreadClient, ev: MarkUnreadEventMap[K]) => any) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof MarkUnreadEventMap>(
    type: K,
    listener: ((this: MarkUnreadClient, ev: MarkUnreadEventMap[K]) => any) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/**
 * Instantiates the module; resolves when it is ready. Rejects with a TypeError
 * naming the option for invalid options (only the options object's own
 * properties are read; a number out of its bounds gets the module's message),
 * with a MarkUnreadError NO_AUTH when there is no auth source at all or
 * INVALID_PORTAL for an unusable options.portal, and with an Error naming the step that failed or
 * stalled: no answer or no byte of the .wasm for 10 s, compiling for 30 s
 * after the last byte, starting for 20 s. An HTML page where the module
 * should be (a dev server's fallback) is named as such and asks whether
 * wasmUrl is right.
 */
export function load(options?: LoadOptions): Promise<MarkUnreadClient>;

/** What the app's Worker needs to run a job as this user (later()). */
export interface LaterSession {
  memberId: string;
  accessToken: string;
  refreshToken: string;
}

export interface LaterOptions {
  /** The app's Worker, default the page's own origin (the Worker serves the page). */
  server?: string;
  /** Default: the portal's getInitData, inside a portal iframe. */
  session?: LaterSession | (() => LaterSession | Promise<LaterSession>);
  /** Per request to the Worker, default 30000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type LaterJobState = 'scheduled' | 'running' | 'done' | 'failed' | 'cancelled';

/** A pair the portal refused, or that could not be sent. */
export interface LaterPairError {
  index: number;
  dialog: string;
  message: number;
  code: MarkUnreadErrorCode;
  description: string;
}

/** A job as the Worker keeps it for its user. */
export interface LaterJob {
  id: string;
  state: LaterJobState;
  /** When it is due, Unix ms. */
  at: number;
  created: number;
  ended?: number;
  total: number;
  marked: number;
  failed: number;
  /** The first 20 pairs that failed. */
  errors: LaterPairError[];
  /** Why the whole job stopped (a refused token, a failed refresh). */
  error?: { code: MarkUnreadErrorCode; description: string };
}

export interface LaterJobs {
  /** Marks pairs as this user when `at` comes (a Date or Unix ms; left out: now, in the background). */
  markLater(pairs: ReadonlyArray<readonly [string | number, number | string]>, options?: { at?: Date | number }): Promise<LaterJob>;
  /** This user's own jobs, newest first. */
  list(): Promise<LaterJob[]>;
  cancel(id: string): Promise<LaterJob>;
}

/** Marks that outlive the page, run by the app's Worker (docs/worker.md). Rejections are MarkUnreadErrors with the Worker's code. */
export function later(options?: LaterOptions): LaterJobs;
