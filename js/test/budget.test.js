// The shared budget's logic with time as an input: the leaky bucket, the
// FIFO line across owners, a vanished owner, hand-over between leaders, the
// protocol as BudgetHub.receive speaks it, and the remembered plan. The
// SharedWorker and leader transports run in Chromium (web/browsertest);
// here budget.js runs its page transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BudgetHub } from '../budget-core.js';
import { BudgetLedger, LeakyBucket, capacity } from '../budget-ledger.js';
import { parseLimits } from '../budget-core.js';
import { budgetForModule, createBudget } from '../budget.js';
import { plansForModule, rememberPlan, recallPlan } from '../plans.js';

const standard = { perSecond: 2, burst: 50 };

// A clock and a timer queue that the test advances by hand.
function fakeClock(start = 1_000_000) {
  const c = {
    t: start,
    timers: new Map(),
    next: 1,
    now: () => c.t,
    setTimeout: (fn, ms) => {
      const id = c.next++;
      c.timers.set(id, { fn, at: c.t + ms });
      return id;
    },
    clearTimeout: (id) => c.timers.delete(id),
    // Runs timers in time order until none is left or until limit.
    runAll(limit = Infinity) {
      while (c.timers.size > 0) {
        let first;
        for (const [id, tm] of c.timers) if (first === undefined || tm.at < first[1].at) first = [id, tm];
        if (first[1].at > limit) return;
        c.timers.delete(first[0]);
        c.t = Math.max(c.t, first[1].at);
        first[1].fn();
      }
    },
  };
  return c;
}

// A hub at fixed instants, and what it told whom: out.sent holds
// [owner, message] for one client, out.relayed [from, message] for all but
// one; grants lists [owner, id, at, count] for each granted reservation.
function hubAt(clock) {
  const out = { sent: [], relayed: [], grants: [], watched: [], gone: [], spent: [] };
  const hub = new BudgetHub({
    send: (owner, message) => {
      if (message.type === 'grants') message.ids.forEach((id, i) => out.grants.push([owner, id, clock.t, message.counts[i]]));
      else out.sent.push([owner, message]);
    },
    relay: (from, message) => out.relayed.push([from, message]),
    watchClient: (owner) => out.watched.push(owner),
    gone: (owner) => out.gone.push(owner),
    spent: (portals) => out.spent.push(portals),
  }, clock);
  return { hub, out };
}

const reserveMsg = (id, portal, limits) => ({ type: 'reserve', id, portal, limits });

// Every run of grants i..j must fit the bucket: at most capacity at once
// plus what drained between them.
function assertWithinBucket(times, limits) {
  const cap = capacity(limits);
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const allowed = cap + ((times[j] - times[i]) / 1000) * limits.perSecond;
      assert.ok(j - i + 1 <= allowed + 1e-9, `grants ${i}..${j} (${j - i + 1}) in ${times[j] - times[i]} ms exceed the bucket (${allowed.toFixed(2)})`);
    }
  }
}

test('capacity keeps ceil(perSecond/4) of headroom, as the Go core does', () => {
  assert.equal(capacity({ perSecond: 2, burst: 50 }), 49);
  assert.equal(capacity({ perSecond: 5, burst: 250 }), 248);
  assert.equal(capacity({ perSecond: 10, burst: 5 }), 2);
  assert.equal(capacity({ perSecond: 2, burst: 1 }), 1);
});

test('a fresh bucket grants its capacity at once, then one per drain step', () => {
  const b = new LeakyBucket(standard, 0);
  for (let i = 0; i < 49; i++) {
    assert.equal(b.delay(0), 0);
    b.add(0);
  }
  assert.equal(b.delay(0), 501);
  assert.equal(b.delay(501), 0);
});

test('full() fills the bucket to the brim: the next request waits one drain step', () => {
  const b = new LeakyBucket(standard, 0);
  b.fill(0);
  assert.equal(b.delay(0), 501);
  const d = b.delay(499);
  assert.ok(d > 0 && d <= 2, `delay at 499 ms: ${d}`);
});

test('two owners reserving 200 each are granted in arrival order and never past the bucket', () => {
  const clock = fakeClock();
  const limits = { perSecond: 5, burst: 20 };
  const { hub, out } = hubAt(clock);
  const arrivals = [];
  for (let i = 0; i < 200; i++) {
    for (const owner of ['tab-a', 'tab-b']) {
      hub.receive(owner, reserveMsg(i, 'https://p.example', limits));
      arrivals.push(`${owner}/${i}`);
    }
  }
  clock.runAll();
  const grants = out.grants;
  assert.equal(grants.length, 400);
  assert.deepEqual(grants.map(([owner, id]) => `${owner}/${id}`), arrivals);
  assertWithinBucket(grants.map(([, , at]) => at), limits);
  // The last grant comes when the bucket allows it, not later.
  const expected = ((400 - capacity(limits)) / limits.perSecond) * 1000;
  assert.ok(grants.at(-1)[2] - grants[0][2] <= expected + 400, `last grant at ${grants.at(-1)[2] - grants[0][2]} ms, bucket allows ${expected}`);
});

test('a task\'s reservations (items) are granted as far as they fit in one message, in order, and the rest as the bucket drains', () => {
  const clock = fakeClock();
  const limits = { perSecond: 2, burst: 50 }; // capacity 49
  const messages = [];
  const hub = new BudgetHub({ send: (owner, message) => messages.push([owner, message]), relay: () => {} }, clock);
  hub.receive('o', { type: 'reserve', items: Array.from({ length: 52 }, (_, id) => ({ id, portal: 'https://p.example', limits })) });
  assert.deepEqual(messages, [['o', {
    type: 'grants',
    ids: Array.from({ length: 49 }, (_, i) => i),
    counts: Array.from({ length: 49 }, (_, i) => ({ granted: i, refused: 0 })),
  }]]);
  clock.runAll();
  assert.deepEqual(messages.flatMap(([, m]) => m.ids), Array.from({ length: 52 }, (_, i) => i));
  assert.deepEqual(messages.flatMap(([, m]) => m.counts.map((c) => c.granted)), Array.from({ length: 52 }, (_, i) => i), 'each grant counts the ones before it');
  assert.equal(messages.length, 4, 'then one message per drain step');
});

test('portals have their own buckets', () => {
  const clock = fakeClock();
  const { hub, out } = hubAt(clock);
  const one = { perSecond: 1, burst: 2 }; // capacity 1
  hub.receive('o', reserveMsg(1, 'https://a.example', one));
  hub.receive('o', reserveMsg(2, 'https://a.example', one));
  hub.receive('o', reserveMsg(3, 'https://b.example', one));
  assert.deepEqual(out.grants.map(([, id]) => id), [1, 3]);
  assert.deepEqual(out.spent, [['https://a.example'], ['https://b.example']], 'each grant changed its own portal\'s bucket');
  clock.runAll();
  assert.deepEqual(out.grants.map(([, id]) => id), [1, 3, 2]);
});

test('a vanished owner holds no budget: its waiting reservations go, the others move up', () => {
  const clock = fakeClock();
  const limits = { perSecond: 4, burst: 3 }; // capacity 2
  const { hub, out } = hubAt(clock);
  for (let i = 0; i < 5; i++) hub.receive('gone', reserveMsg(i, 'https://p.example', limits));
  hub.receive('alive', reserveMsg(0, 'https://p.example', limits));
  const names = () => out.grants.map(([owner, id]) => `${owner}/${id}`);
  assert.deepEqual(names(), ['gone/0', 'gone/1']);
  const start = clock.t;
  hub.receive('gone', { type: 'bye' });
  assert.deepEqual(out.gone, ['gone'], 'the transport hears that the client left');
  clock.runAll();
  assert.deepEqual(names(), ['gone/0', 'gone/1', 'alive/0']);
  // It went one drain step later, not after the dropped three.
  assert.ok(clock.t - start <= 251, `granted after ${clock.t - start} ms`);
});

test('the hub paces at the rate of the plan it was last given: a client that learned less room slows everyone', () => {
  const clock = fakeClock();
  const { hub, out } = hubAt(clock);
  const portal = 'https://p.example';
  const plan = { perSecond: 2, burst: 4 }; // capacity 3
  for (let i = 0; i < 3; i++) hub.receive('a', reserveMsg(i, portal, plan));
  assert.equal(out.grants.length, 3, 'the burst at once');
  // The others are believed to spend 1.5 of the 2 requests/s: 0.5 is left.
  hub.receive('a', { type: 'limits', portal, limits: { perSecond: 0.5, burst: 4 } });
  for (let i = 3; i < 6; i++) hub.receive('b', reserveMsg(i, portal, plan)); // b's plan opens nothing: the bucket is open
  clock.runAll();
  const at = out.grants.map(([, , t]) => t);
  assert.ok(at[3] - at[2] >= 2000 && at[3] - at[2] <= 2001, `the first at 0.5/s waited ${at[3] - at[2]} ms`);
  for (let i = 4; i < 6; i++) assert.ok(at[i] - at[i - 1] >= 1999 && at[i] - at[i - 1] <= 2001, `grant ${i} came ${at[i] - at[i - 1]} ms after the one before`);
  // Nobody else any more: the plan's rate again.
  hub.receive('a', { type: 'limits', portal, limits: plan });
  for (let i = 6; i < 9; i++) hub.receive('a', reserveMsg(i, portal, plan));
  clock.runAll();
  for (let i = 7; i < 9; i++) assert.ok(out.grants[i][2] - out.grants[i - 1][2] <= 501, `back at 2/s: ${out.grants[i][2] - out.grants[i - 1][2]} ms`);
});

test('a resent reservation is not counted twice; a cancelled one is not granted', () => {
  const ledger = new BudgetLedger();
  const limits = { perSecond: 1, burst: 2 }; // capacity 1
  ledger.reserve('p', limits, 'o', 1, 0);
  ledger.grant(0);
  ledger.reserve('p', limits, 'o', 2, 0);
  ledger.reserve('p', limits, 'o', 2, 0);
  ledger.reserve('p', limits, 'o', 3, 0);
  ledger.cancel('o', 3);
  assert.deepEqual(ledger.grant(1001).granted.map((g) => g.id), [2]);
  assert.deepEqual(ledger.grant(10_000).granted, []);
});

test('a new plan keeps what was spent and drains at the new rate', () => {
  const ledger = new BudgetLedger();
  ledger.open('p', standard, 0);
  for (let i = 0; i < 49; i++) ledger.reserve('p', standard, 'o', i, 0);
  assert.equal(ledger.grant(0).granted.length, 49);
  ledger.setLimits('p', { perSecond: 5, burst: 250 }, 0);
  ledger.reserve('p', standard, 'o', 100, 0);
  assert.equal(ledger.grant(0).granted.length, 1, 'capacity 248 leaves room');
  // A second client's defaults do not undo the plan.
  ledger.open('p', standard, 0);
  assert.equal(ledger.portals.get('p').bucket.limits.perSecond, 5);
});

test('a new leader adopts the announced level, drained to now, and never a lower one', () => {
  const ledger = new BudgetLedger();
  ledger.adopt('p', { level: 40, at: 0, limits: standard }, 5000); // 10 drained
  assert.equal(ledger.snapshot('p', 5000).level, 30);
  ledger.adopt('p', { level: 10, at: 5000, limits: standard }, 5000);
  assert.equal(ledger.snapshot('p', 5000).level, 30);
});

test('limits are read from own data properties only', () => {
  assert.deepEqual(parseLimits({ perSecond: 2, burst: 50 }), { perSecond: 2, burst: 50 });
  assert.equal(parseLimits(Object.create({ perSecond: 2, burst: 50 })), null);
  assert.equal(parseLimits({ get perSecond() { return 2; }, burst: 50 }), null);
  assert.equal(parseLimits({ perSecond: 0, burst: 50 }), null);
  assert.equal(parseLimits({ perSecond: 2, burst: 1.5 }), null);
  assert.equal(parseLimits({ perSecond: Infinity, burst: 5 }), null);
  assert.equal(parseLimits(null), null);
  Object.prototype.perSecond = 2; // eslint-disable-line no-extend-native
  Object.prototype.burst = 50; // eslint-disable-line no-extend-native
  try {
    assert.equal(parseLimits({}), null);
  } finally {
    delete Object.prototype.perSecond;
    delete Object.prototype.burst;
  }
});

function withStorage(storage, fn) {
  const d = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
  Object.defineProperty(globalThis, 'localStorage', { configurable: true, ...storage });
  try {
    return fn();
  } finally {
    if (d) Object.defineProperty(globalThis, 'localStorage', d);
    else delete globalThis.localStorage;
  }
}

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), m };
}

test('a remembered plan comes back for the same portal origin only', () => {
  const s = memoryStorage();
  withStorage({ value: s }, () => {
    assert.equal(recallPlan('https://p.example'), null);
    assert.equal(rememberPlan('https://p.example/rest/', { perSecond: 5, burst: 250 }), true);
    assert.deepEqual(recallPlan('https://p.example'), { perSecond: 5, burst: 250 });
    assert.equal(recallPlan('https://other.example'), null);
    assert.equal(rememberPlan('https://p.example', { perSecond: -1, burst: 250 }), false);
  });
});

test('a stored plan is parsed by own properties and never throws', () => {
  const s = memoryStorage();
  withStorage({ value: s }, () => {
    s.setItem('markunread.plan:https://p.example', '{"__proto__": {"perSecond": 5, "burst": 250}}');
    assert.equal(recallPlan('https://p.example'), null);
    assert.equal(({}).perSecond, undefined, 'nothing leaked into Object.prototype');
    s.setItem('markunread.plan:https://p.example', 'not json');
    assert.equal(recallPlan('https://p.example'), null);
    assert.equal(recallPlan('not a url'), null);
  });
  withStorage({ get() { throw new DOMException('blocked', 'SecurityError'); } }, () => {
    assert.equal(recallPlan('https://p.example'), null);
    assert.equal(rememberPlan('https://p.example', standard), false);
  });
  withStorage({ value: { getItem() { throw new Error('x'); }, setItem() { throw new DOMException('full', 'QuotaExceededError'); } } }, () => {
    assert.equal(recallPlan('https://p.example'), null);
    assert.equal(rememberPlan('https://p.example', standard), false);
  });
});

test('budgets of one page share one bucket per portal, in order, and close rejects what waits', async () => {
  const limits = { perSecond: 20, burst: 4 }; // capacity 3, then one per 50 ms
  const a = createBudget('https://shared.example/rest/', limits, { via: 'page' });
  const b = createBudget('https://shared.example', limits, { via: 'page' });
  assert.equal(a.via, 'page');
  const order = [];
  const t0 = performance.now();
  const waits = [];
  for (let i = 0; i < 4; i++) {
    waits.push(a.reserve().then(() => order.push(`a${i}`)));
    waits.push(b.reserve().then(() => order.push(`b${i}`)));
  }
  await Promise.all(waits);
  assert.deepEqual(order, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
  // 8 grants with capacity 3 need at least 5 drain steps of 50 ms.
  assert.ok(performance.now() - t0 >= 5 * 50 - 5, `8 grants in ${performance.now() - t0} ms`);

  const pending = b.reserve();
  const more = b.reserve();
  b.close();
  await assert.rejects(pending, /closed/);
  await assert.rejects(more, /closed/);
  await assert.rejects(b.reserve(), /closed/);
  await a.reserve(); // the other budget still works
  a.close();
});

test('an aborted reservation rejects with the reason and costs nothing', async () => {
  const limits = { perSecond: 10, burst: 3 }; // capacity 2, then one per 100 ms
  const b = createBudget('https://abort.example', limits, { via: 'page' });
  await b.reserve();
  await b.reserve();
  const ac = new AbortController();
  const given = b.reserve({ signal: ac.signal });
  ac.abort(new Error('no longer needed'));
  await assert.rejects(given, /no longer needed/);
  await assert.rejects(b.reserve({ signal: AbortSignal.abort(new Error('already')) }), /already/);
  await assert.rejects(b.reserve({ signal: 'soon' }), TypeError);
  await b.reserve(); // the line moves on without it
  b.close();
});

test('createBudget refuses what is not a portal or a plan', () => {
  assert.throws(() => createBudget('not a url', standard), TypeError);
  assert.throws(() => createBudget(42, standard), TypeError);
  assert.throws(() => createBudget('https://p.example', { perSecond: 2 }), TypeError);
  assert.throws(() => createBudget('https://p.example', standard, { via: 'carrier pigeon' }), TypeError);
});

test('the module\'s budget(portal) opens the shared bucket with its first plan', async () => {
  const mod = budgetForModule('https://module.example', { via: 'page' });
  const other = createBudget('https://module.example', { perSecond: 2, burst: 50 }, { via: 'page' });
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await mod.reserve(10, 4); // capacity 1: one now, then one per 100 ms
  assert.ok(performance.now() - t0 >= 195, 'the first plan opened the shared bucket');
  await assert.rejects(mod.reserve(0, 4), TypeError);
  // A learned plan (the ledger tests pin what it does to the bucket) and a
  // full portal go through; the other client still draws on the same bucket.
  mod.full();
  await mod.reserve(1000, 2000);
  await other.reserve();
  other.close();
});

test('the module\'s plans store remembers per portal and never throws', () => {
  const s = memoryStorage();
  withStorage({ value: s }, () => {
    assert.equal(plansForModule.recall('https://m.example'), null);
    plansForModule.remember('https://m.example', 5, 250);
    assert.deepEqual(plansForModule.recall('https://m.example'), { perSecond: 5, burst: 250 });
    assert.doesNotThrow(() => plansForModule.remember('https://m.example', NaN, 1));
  });
  withStorage({ get() { throw new DOMException('blocked', 'SecurityError'); } }, () => {
    assert.equal(plansForModule.recall('https://m.example'), null);
    assert.doesNotThrow(() => plansForModule.remember('https://m.example', 5, 250));
  });
});

test('a hold reaches the portal\'s other budgets in the page, not its sender nor other portals; unwatch stops it', () => {
  const a = budgetForModule('https://hold.example/rest/', { via: 'page' });
  const b = budgetForModule('https://hold.example', { via: 'page' });
  const other = budgetForModule('https://other.example', { via: 'page' });
  const heard = { a: [], b: [], other: [] };
  a.watch((method, until) => heard.a.push([method, until]));
  const stopB = b.watch((method, until) => heard.b.push([method, until]));
  other.watch((method, until) => heard.other.push([method, until]));
  a.hold('im.dialog.unread', 1_900_000_000_000);
  assert.deepEqual(heard, { a: [], b: [['im.dialog.unread', 1_900_000_000_000]], other: [] });
  a.hold('im.dialog.unread', Number.NaN); // not a time: nobody hears it
  a.hold(42, 1_900_000_000_000);
  stopB();
  a.hold('batch', 1_900_000_000_001);
  assert.deepEqual(heard.b, [['im.dialog.unread', 1_900_000_000_000]]);
  b.hold('batch', 1_900_000_000_002);
  assert.deepEqual(heard.a, [['batch', 1_900_000_000_002]]);
});

test('the hub relays a hold to all but its sender, and tells a client that says hello later the holds not yet lifted', () => {
  const clock = fakeClock();
  const { hub, out } = hubAt(clock);
  const t0 = clock.t;
  const hold = (owner, method, until) => hub.receive(owner, { type: 'hold', portal: 'https://p.example', method, until });
  hold('tab-a', 'im.dialog.unread', t0 + 10_000);
  hold('tab-b', 'im.dialog.unread', t0 + 5_000); // earlier: the later one stands
  hold('tab-a', 'batch', t0 + 1_000);
  assert.deepEqual(out.relayed.map(([from, m]) => [from, m.method, m.until - t0]), [['tab-a', 'im.dialog.unread', 10_000], ['tab-b', 'im.dialog.unread', 5_000], ['tab-a', 'batch', 1_000]]);
  assert.deepEqual(out.relayed[0][1], { type: 'held', portal: 'https://p.example', method: 'im.dialog.unread', until: t0 + 10_000 });
  const hello = (owner) => {
    out.sent.length = 0;
    hub.receive(owner, { type: 'hello' });
    return out.sent.map(([to, m]) => [to, m.type, m.method, m.type === 'held' ? m.until - t0 : undefined]);
  };
  assert.deepEqual(hello('tab-c'), [['tab-c', 'ready', undefined, undefined], ['tab-c', 'held', 'im.dialog.unread', 10_000], ['tab-c', 'held', 'batch', 1_000]]);
  clock.t = t0 + 2_000;
  assert.deepEqual(hello('tab-d'), [['tab-d', 'ready', undefined, undefined], ['tab-d', 'held', 'im.dialog.unread', 10_000]]);
  clock.t = t0 + 10_000;
  assert.deepEqual(hello('tab-e'), [['tab-e', 'ready', undefined, undefined]]);
});

test('the hub keeps the newest room per portal, relays it to all but its sender, and tells it to a client that says hello later', () => {
  const clock = fakeClock();
  const { hub, out } = hubAt(clock);
  const room = (owner, portal, others, at, hold) => hub.receive(owner, { type: 'room', portal, others, at, hold });
  room('tab-a', 'https://p.example', 1.5, 1_000, 12_000);
  assert.deepEqual(out.relayed, [['tab-a', { type: 'known', portal: 'https://p.example', others: 1.5, at: 1_000, hold: 12_000 }]],
    'with how long the belief holds before it fades');
  room('tab-b', 'https://p.example', 0.2, 900); // learned before tab-a's: old news, for nobody
  room('tab-b', 'https://p.example', 0.5, 1_000); // learned at the same instant: the first stands
  assert.equal(out.relayed.length, 1);
  room('tab-b', 'https://p.example', 0, 2_000); // the others stopped
  room('tab-a', 'https://q.example', 1, 1_500); // another portal: its own estimate
  assert.deepEqual(out.relayed.slice(1), [
    ['tab-b', { type: 'known', portal: 'https://p.example', others: 0, at: 2_000, hold: 0 }],
    ['tab-a', { type: 'known', portal: 'https://q.example', others: 1, at: 1_500, hold: 0 }],
  ], 'a room without hold (an older module) holds 0: the hearer\'s own measure');
  hub.receive('tab-c', { type: 'hello' });
  assert.deepEqual(out.sent, [
    ['tab-c', { type: 'ready' }],
    ['tab-c', { type: 'known', portal: 'https://p.example', others: 0, at: 2_000, hold: 0 }],
    ['tab-c', { type: 'known', portal: 'https://q.example', others: 1, at: 1_500, hold: 0 }],
  ]);
});

test('receive checks every message once: what does not check changes nothing and tells nobody', () => {
  const clock = fakeClock();
  const { hub, out } = hubAt(clock);
  const portal = 'https://p.example';
  const limits = { perSecond: 1, burst: 2 }; // capacity 1
  const bad = [
    [42, reserveMsg(1, portal, limits)], // no owner
    ['', reserveMsg(1, portal, limits)],
    ['o', null],
    ['o', 'reserve'],
    ['o', { type: 'grant', id: 1 }], // not a client's message
    ['o', Object.create({ type: 'reserve', id: 1, portal, limits })], // inherited fields
    ['o', { type: 'reserve', id: 1.5, portal, limits }],
    ['o', { type: 'reserve', id: 1, portal: 7, limits }],
    ['o', { type: 'reserve', id: 1, portal, limits: { perSecond: 0, burst: 2 } }],
    ['o', { type: 'reserve', items: [{ id: 'x', portal, limits }] }],
    ['o', { type: 'full', portal, limits: null }],
    ['o', { type: 'limits', portal }],
    ['o', { type: 'cancel', id: '1' }],
    ['o', { type: 'hold', portal, method: '', until: 5 }],
    ['o', { type: 'hold', portal, method: 'batch', until: Infinity }],
    ['o', { type: 'room', portal, others: -1, at: 1 }],
    ['o', { type: 'room', portal, others: NaN, at: 1 }],
    ['o', { type: 'room', portal, others: Infinity, at: 1 }],
    ['o', { type: 'room', portal, others: 1, at: -5 }],
    ['o', { type: 'room', portal, others: '1', at: 1 }],
    ['o', { type: 'room', others: 1, at: 1 }],
    ['o', { type: 'room', portal, get others() { return 1; }, at: 1 }],
    ['o', { type: 'room', portal, others: 1, at: 1, hold: -1 }],
    ['o', { type: 'room', portal, others: 1, at: 1, hold: NaN }],
    ['o', { type: 'room', portal, others: 1, at: 1, hold: '5' }],
  ];
  for (const [owner, message] of bad) hub.receive(owner, message);
  assert.deepEqual(out, { sent: [], relayed: [], grants: [], watched: [], gone: [], spent: [] });
  assert.deepEqual(hub.ledger.portalNames(), [], 'no bucket was opened');
  // The same fields, right: granted.
  hub.receive('o', { type: 'reserve', items: [{ id: 'x', portal, limits }, { id: 2, portal, limits }] });
  assert.deepEqual(out.grants.map(([, id]) => id), [2]);
});

test('a message with locked: true has the transport watch its client\'s lock', () => {
  const { hub, out } = hubAt(fakeClock());
  hub.receive('tab-a', { type: 'hello', locked: true });
  hub.receive('tab-b', { type: 'hello' });
  hub.receive('tab-c', { type: 'reserve', id: 1, portal: 'https://p.example', limits: standard, locked: true });
  assert.deepEqual(out.watched, ['tab-a', 'tab-c']);
});

test('full and a new plan change the bucket for everyone, and say so to the transport', () => {
  const clock = fakeClock();
  const { hub, out } = hubAt(clock);
  const portal = 'https://p.example';
  hub.receive('a', reserveMsg(1, portal, standard));
  hub.receive('b', { type: 'full', portal, limits: standard });
  hub.receive('b', reserveMsg(2, portal, standard));
  assert.deepEqual(out.grants.map(([owner, id]) => `${owner}/${id}`), ['a/1'], 'after full, the next waits a drain step');
  assert.deepEqual(out.spent, [[portal], [portal]]);
  clock.runAll();
  assert.equal(out.grants[1][2] - out.grants[0][2], 501);
  assert.deepEqual(out.grants.map(([, , , count]) => count), [{ granted: 0, refused: 0 }, { granted: 1, refused: 1 }],
    'each grant carries the app\'s count before it: the 503 told is counted, whoever told it');
  hub.receive('a', { type: 'limits', portal, limits: { perSecond: 5, burst: 250 } });
  assert.equal(hub.snapshot(portal).limits.perSecond, 5);
});

test('a budget that starts watching hears the portal\'s holds not yet lifted', () => {
  const a = budgetForModule('https://late.example', { via: 'page' });
  const b = budgetForModule('https://late.example', { via: 'page' });
  const until = Date.now() + 60_000;
  a.hold('im.dialog.unread', until);
  a.hold('batch', Date.now() - 1); // already lifted
  const heard = [];
  b.watch((method, at) => heard.push([method, at]));
  assert.deepEqual(heard, [['im.dialog.unread', until]]);
  const own = [];
  a.watch((method, at) => own.push([method, at]));
  assert.deepEqual(own, [], 'a budget does not hear its own hold back');
});

test('a room estimate reaches the portal\'s other budgets in the page, not its sender nor other portals; unwatch stops it', () => {
  const a = budgetForModule('https://room.example/rest/', { via: 'page' });
  const b = budgetForModule('https://room.example', { via: 'page' });
  const c = createBudget('https://room.example', standard, { via: 'page' });
  const other = budgetForModule('https://other-room.example', { via: 'page' });
  const heard = { a: [], b: [], c: [], other: [] };
  a.watchRoom((others, at) => heard.a.push([others, at]));
  const stopB = b.watchRoom((others, at) => heard.b.push([others, at]));
  c.watchRoom((others, at) => heard.c.push([others, at]));
  other.watchRoom((others, at) => heard.other.push([others, at]));
  a.room(1.5, 1_900_000_000_000);
  assert.deepEqual(heard, { a: [], b: [[1.5, 1_900_000_000_000]], c: [[1.5, 1_900_000_000_000]], other: [] });
  for (const [others, at] of [[-1, 1_900_000_000_001], [NaN, 1_900_000_000_001], [Infinity, 1_900_000_000_001], [1, -1], ['1', 1_900_000_000_001], [1, undefined]]) {
    a.room(others, at); // not an estimate: nobody hears it
  }
  a.room(0.2, 1_800_000_000_000); // learned before the one known: old news
  assert.deepEqual(heard.b, [[1.5, 1_900_000_000_000]]);
  stopB();
  c.room(0, 1_900_000_000_005); // the others stopped
  assert.deepEqual(heard.b, [[1.5, 1_900_000_000_000]], 'unwatched');
  assert.deepEqual(heard.a, [[0, 1_900_000_000_005]]);
  assert.deepEqual(heard.c, [[1.5, 1_900_000_000_000]], 'not its own back');
  assert.throws(() => a.watchRoom('listener'), TypeError);
});

test('a room estimate carries how long it holds, and a late watcher hears that too; a hold that is not a count is no estimate', () => {
  const a = budgetForModule('https://hold-room.example', { via: 'page' });
  const b = budgetForModule('https://hold-room.example', { via: 'page' });
  const heard = [];
  b.watchRoom((others, at, hold) => heard.push([others, at, hold]));
  a.room(1, 1_000, 20_000);
  a.room(1, 2_000, -1);
  a.room(1, 2_000, NaN);
  a.room(0.8, 3_000); // an older module's: no hold
  assert.deepEqual(heard, [[1, 1_000, 20_000], [0.8, 3_000, 0]]);
  const later = [];
  budgetForModule('https://hold-room.example', { via: 'page' }).watchRoom((...args) => later.push(args));
  assert.deepEqual(later, [[0.8, 3_000, 0]]);
});

test('each reservation resolves with the app\'s count of the portal\'s requests before it, 503s told included, whichever budget of the page made it', async () => {
  const portal = 'https://count.example';
  const a = budgetForModule(portal, { via: 'page' });
  const b = budgetForModule(portal, { via: 'page' });
  assert.deepEqual(await a.reserve(2, 50), { granted: 0, refused: 0 });
  assert.deepEqual(await b.reserve(2, 50), { granted: 1, refused: 0 }, "the other budget's request is the app's too");
  b.full();
  assert.deepEqual(await a.reserve(2, 50), { granted: 2, refused: 1 });
});

test('a budget that starts watching the room hears the latest estimate at once', () => {
  const a = budgetForModule('https://late-room.example', { via: 'page' });
  const b = budgetForModule('https://late-room.example', { via: 'page' });
  const heard = [];
  b.watchRoom((others, at) => heard.push([others, at]));
  assert.deepEqual(heard, [], 'nothing known yet');
  a.room(1, 1_000);
  a.room(0.5, 2_000);
  const later = [];
  budgetForModule('https://late-room.example', { via: 'page' }).watchRoom((others, at) => later.push([others, at]));
  assert.deepEqual(later, [[0.5, 2_000]]);
  const own = [];
  a.watchRoom((others, at) => own.push([others, at]));
  assert.deepEqual(own, [], 'a budget does not hear its own estimate back');
});

test('the module\'s reserve paces the shared bucket at the rate it passes: a lower one (room left by others) slows the next grants', async () => {
  const mod = budgetForModule('https://pace.example', { via: 'page' });
  await Promise.all(Array.from({ length: 6 }, () => mod.reserve(8, 8))); // capacity 6: at once
  const t0 = performance.now();
  await mod.reserve(4, 7); // capacity 6, the level at 6: one drain step at 4/s (125 ms at 8/s)
  const slow = performance.now() - t0;
  assert.ok(slow >= 200, `at 4/s the next grant waited ${slow.toFixed(0)} ms`);
  const t1 = performance.now();
  await mod.reserve(8, 8);
  const fast = performance.now() - t1;
  assert.ok(fast < slow - 50, `back at 8/s the next one waited ${fast.toFixed(0)} ms, at 4/s ${slow.toFixed(0)} ms`);
});
