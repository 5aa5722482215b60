// Test harness for the real-browser tests: loads the module with the given
// load function and auth, and exposes window.harness for the Go tests, which
// evaluate JavaScript in this iframe's own context.
//
//   harness.ready            Promise: resolves true once load() resolved
//   harness.client           the MarkUnreadClient
//   harness.received         every message event this window saw: {origin, fromParent, data}
//   harness.run(n, opts)     n marks of chat<base+i> from message i+1, one every
//                            opts.spacingMs (0: all at once); resolves
//                            {ok, failed: [{dialog, code, description}], stats}
export function start(load, auth) {
  const received = [];
  window.addEventListener('message', (event) => {
    received.push({ origin: event.origin, fromParent: event.source === window.parent, data: String(event.data).slice(0, 200) });
  });
  const status = document.getElementById('status');
  const harness = {
    received,
    client: null,
    ready: null,
    async run(n, { base = 1000, spacingMs = 0 } = {}) {
      const calls = [];
      for (let i = 0; i < n; i++) {
        const dialog = `chat${base + i}`;
        calls.push(harness.client.markUnread(dialog, i + 1).then(
          (ok) => ({ dialog, ok }),
          (err) => ({ dialog, ok: false, code: err.code, description: err.description }),
        ));
        if (spacingMs > 0) await new Promise((r) => setTimeout(r, spacingMs));
      }
      const results = await Promise.all(calls);
      const failed = results.filter((r) => r.ok !== true);
      return { ok: results.length - failed.length, failed, stats: harness.client.stats() };
    },
  };
  harness.ready = (async () => {
    try {
      harness.client = await load(auth === undefined ? undefined : { auth });
      status.textContent = 'Ready.';
      return true;
    } catch (err) {
      status.textContent = `The module did not load: ${err && err.message}`;
      throw err;
    }
  })();
  window.harness = harness;
}
