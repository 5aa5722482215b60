// The shared budget's logic with time as an input: the leaky bucket, the
// FIFO line across owners, a vanished owner, hand-over between leaders, and
// the remembered plan. The SharedWorker and leader transports run in
// Chromium (web/browsertest); here budget.js runs its page transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BudgetHub, BudgetLedger, LeakyBucket, capacity, parseLimits } from '../budget-core.js';
import { budgetForModule, createBudget, plansForModule, rememberPlan, recallPlan } from '../budget.js';

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
  const grants = [];
  const hub = new BudgetHub((owner, id) => grants.push({ owner, id, at: clock.t }), clock);
  const arrivals = [];
  for (let i = 0; i < 200; i++) {
    for (const owner of ['tab-a', 'tab-b']) {
      hub.reserve('https://p.example', limits, owner, i);
      arrivals.push(`${owner}/${i}`);
    }
  }
  clock.runAll();
  assert.equal(grants.length, 400);
  assert.deepEqual(grants.map((g) => `${g.owner}/${g.id}`), arrivals);
  assertWithinBucket(grants.map((g) => g.at), limits);
  // The last grant comes when the bucket allows it, not later.
  const expected = ((400 - capacity(limits)) / limits.perSecond) * 1000;
  assert.ok(grants.at(-1).at - grants[0].at <= expected + 400, `last grant at ${grants.at(-1).at - grants[0].at} ms, bucket allows ${expected}`);
});

test('reserveAll grants what fits of a task\'s reservations in one pump, in order, and the rest as the bucket drains', () => {
  const clock = fakeClock();
  const limits = { perSecond: 2, burst: 50 }; // capacity 49
  const pumps = [];
  let current = null;
  const hub = new BudgetHub((owner, id) => current.push(id), clock);
  hub.onGrants = () => { pumps.push(current); current = []; };
  current = [];
  hub.reserveAll(Array.from({ length: 52 }, (_, id) => ({ portal: 'https://p.example', limits, owner: 'o', id })));
  assert.equal(pumps.length, 1);
  assert.deepEqual(pumps[0], Array.from({ length: 49 }, (_, i) => i));
  clock.runAll();
  assert.deepEqual(pumps.flat(), Array.from({ length: 52 }, (_, i) => i));
});

test('portals have their own buckets', () => {
  const clock = fakeClock();
  const grants = [];
  const hub = new BudgetHub((owner, id, portal) => grants.push(portal), clock);
  const one = { perSecond: 1, burst: 2 }; // capacity 1
  hub.reserve('https://a.example', one, 'o', 1);
  hub.reserve('https://a.example', one, 'o', 2);
  hub.reserve('https://b.example', one, 'o', 3);
  assert.deepEqual(grants, ['https://a.example', 'https://b.example']);
  clock.runAll();
  assert.deepEqual(grants, ['https://a.example', 'https://b.example', 'https://a.example']);
});

test('a vanished owner holds no budget: its waiting reservations go, the others move up', () => {
  const clock = fakeClock();
  const limits = { perSecond: 4, burst: 3 }; // capacity 2
  const grants = [];
  const hub = new BudgetHub((owner, id) => grants.push(`${owner}/${id}`), clock);
  for (let i = 0; i < 5; i++) hub.reserve('https://p.example', limits, 'gone', i);
  hub.reserve('https://p.example', limits, 'alive', 0);
  assert.deepEqual(grants, ['gone/0', 'gone/1']);
  const start = clock.t;
  hub.drop('gone');
  clock.runAll();
  assert.deepEqual(grants, ['gone/0', 'gone/1', 'alive/0']);
  // It went one drain step later, not after the dropped three.
  assert.ok(clock.t - start <= 251, `granted after ${clock.t - start} ms`);
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
  await assert.rejects(mod.reserve(10, 4, AbortSignal.abort(new Error('stopped'))), /stopped/);
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

test('the hub relays a hold with its sender, and keeps it for later clients until it lifts', () => {
  const clock = fakeClock();
  const hub = new BudgetHub(() => {}, clock);
  const relayed = [];
  hub.onHold = (portal, method, until, from) => relayed.push({ portal, method, until, from });
  hub.hold('https://p.example', 'im.dialog.unread', clock.t + 10_000, 'tab-a');
  hub.hold('https://p.example', 'im.dialog.unread', clock.t + 5_000, 'tab-b'); // earlier: the later one stands
  hub.hold('https://p.example', 'batch', clock.t + 1_000, 'tab-a');
  assert.deepEqual(relayed.map((r) => r.from), ['tab-a', 'tab-b', 'tab-a']);
  assert.deepEqual(hub.activeHolds(clock.t).map((h) => [h.method, h.until - clock.t]), [['im.dialog.unread', 10_000], ['batch', 1_000]]);
  assert.deepEqual(hub.activeHolds(clock.t + 2_000).map((h) => h.method), ['im.dialog.unread']);
  assert.deepEqual(hub.activeHolds(clock.t + 10_000), []);
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
