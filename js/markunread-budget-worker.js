// markunread budget worker: the SharedWorker that holds one leaky bucket per
// portal for every client of the app's origin (tabs, frames, pages). It
// carries messages between each client's port and one BudgetHub, whose
// receive is the protocol (budget-core.js); budget-transports.js connects.
import { BudgetHub } from './budget-core.js';
import { ownValue } from './own.js';

/** @type {Map<string, MessagePort>} owner -> its port */
const ports = new Map();

const hub = new BudgetHub({
  send: (owner, message) => ports.get(owner)?.postMessage(message),
  relay: (from, message) => {
    for (const [owner, port] of ports) if (owner !== from) port.postMessage(message);
  },
  watchClient,
  gone: (owner) => ports.delete(owner),
});

// A client holds the Web Lock "markunread-budget-client:<owner>" for as long
// as it lives; asking for it here is granted only once the client is gone,
// closed or crashed, and then its waiting reservations go.
/** @param {string} owner */
function watchClient(owner) {
  const locks = globalThis.navigator?.locks;
  if (locks === undefined) return;
  locks.request(`markunread-budget-client:${owner}`, () => hub.receive(owner, { type: 'bye' })).catch(() => {});
}

globalThis.addEventListener('connect', (event) => {
  const port = /** @type {MessageEvent} */ (event).ports[0];
  /** @type {string | null} the client this port is, named by its hello */
  let owner = null;
  port.addEventListener('message', (/** @type {MessageEvent<unknown>} */ e) => {
    if (owner === null) {
      const named = ownValue(e.data, 'owner');
      if (ownValue(e.data, 'type') !== 'hello' || typeof named !== 'string' || named === '') return;
      owner = named;
      ports.set(owner, port);
    }
    hub.receive(owner, e.data);
  });
  port.start();
});
