// markunread budget worker: the SharedWorker that holds one leaky bucket per
// portal for every client of the app's origin (tabs, frames, pages), and
// grants their reservations in the order they arrived. budget.js connects to
// it; the protocol is described there.
import { BudgetHub, parseLimits, ownValue } from './budget-core.js';

/** @type {Map<string, MessagePort>} owner -> its port */
const ports = new Map();

const hub = new BudgetHub((owner, id) => {
  const port = ports.get(owner);
  if (port !== undefined) port.postMessage({ type: 'grant', id });
});

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
    return;
  }
  const owner = state.owner;
  if (owner === null) return;
  if (type === 'bye') {
    forget(owner);
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
