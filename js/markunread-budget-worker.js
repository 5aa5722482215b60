// markunread budget worker: the SharedWorker that holds one leaky bucket per
// portal for every client of the app's origin (tabs, frames, pages), and
// grants their reservations in the order they arrived. budget.js connects to
// it; the protocol is described there.
import { BudgetHub, parseHold, parseLimits, ownValue } from './budget-core.js';

/** @type {Map<string, MessagePort>} owner -> its port */
const ports = new Map();

// One pump's grants go to each owner as one message.
/** @type {Map<string, number[]>} owner -> ids granted in the pump under way */
const granting = new Map();
const hub = new BudgetHub((owner, id) => {
  let ids = granting.get(owner);
  if (ids === undefined) granting.set(owner, ids = []);
  ids.push(id);
});
hub.onGrants = () => {
  for (const [owner, ids] of granting) ports.get(owner)?.postMessage({ type: 'grants', ids });
  granting.clear();
};
// A client's hold reaches every other client; one that connects later
// hears the holds not yet lifted when it says hello.
hub.onHold = (portal, method, until, from) => {
  for (const [owner, port] of ports) if (owner !== from) port.postMessage({ type: 'held', portal, method, until, from });
};

function forget(owner) {
  ports.delete(owner);
  hub.drop(owner);
}

// A client holds the Web Lock "markunread-budget-client:<owner>" for as long
// as it lives; asking for it here is granted only once the client is gone,
// closed or crashed, and then its waiting reservations go.
function watch(owner) {
  const locks = globalThis.navigator?.locks;
  if (locks === undefined) return;
  locks.request(`markunread-budget-client:${owner}`, () => forget(owner)).catch(() => {});
}

function handle(port, state, msg) {
  const type = ownValue(msg, 'type');
  if (type === 'hello') {
    const owner = ownValue(msg, 'owner');
    if (typeof owner !== 'string' || owner === '' || state.owner !== null) return;
    state.owner = owner;
    ports.set(owner, port);
    if (ownValue(msg, 'locked') === true) watch(owner);
    port.postMessage({ type: 'ready' });
    for (const h of hub.activeHolds(Date.now())) port.postMessage({ type: 'held', ...h });
    return;
  }
  const owner = state.owner;
  if (owner === null) return;
  if (type === 'bye') {
    forget(owner);
    return;
  }
  if (type === 'hold') {
    const h = parseHold(msg);
    if (h !== null) hub.hold(h.portal, h.method, h.until, owner);
    return;
  }
  const items = ownValue(msg, 'items');
  if (type === 'reserve' && Array.isArray(items)) {
    hub.reserveAll(items.flatMap((item) => {
      const portal = ownValue(item, 'portal');
      const limits = parseLimits(ownValue(item, 'limits'));
      const id = ownValue(item, 'id');
      return typeof portal === 'string' && limits !== null && Number.isSafeInteger(id) ? [{ portal, limits, owner, id }] : [];
    }));
    return;
  }
  const portal = ownValue(msg, 'portal');
  const limits = parseLimits(ownValue(msg, 'limits'));
  const id = ownValue(msg, 'id');
  if (type === 'cancel' && Number.isSafeInteger(id)) {
    hub.cancel(owner, id);
    return;
  }
  if (typeof portal !== 'string' || limits === null) return;
  if (type === 'reserve' && Number.isSafeInteger(id)) hub.reserve(portal, limits, owner, id);
  else if (type === 'full') hub.full(portal, limits);
  else if (type === 'limits') hub.setLimits(portal, limits);
}

globalThis.addEventListener('connect', (event) => {
  const port = event.ports[0];
  const state = { owner: null };
  port.addEventListener('message', (e) => handle(port, state, e.data));
  port.start();
});
