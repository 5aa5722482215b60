// The Worker's entry: syumai/workers' glue (build/worker.mjs, from
// `go tool workers-assets-gen -mode=go`) runs the Go handler; this file adds the two
// things Go cannot say to the runtime.
import worker from "./build/worker.mjs";

// A body Go marks as already compressed (the module's .wasm.br) goes out as it is:
// without encodeBody "manual" the runtime would compress it a second time.
const ENCODED = "x-markunread-encoded";

async function fetch(request, env, ctx) {
  const res = await worker.fetch(request, env, ctx);
  if (!res.headers.has(ENCODED)) {
    return res;
  }
  const headers = new Headers(res.headers);
  headers.delete(ENCODED);
  return new Response(res.body, { status: res.status, headers, encodeBody: "manual" });
}

export default { fetch };

// PortalObject is the Durable Object of one portal (named by its member_id). Its
// requests and its alarm are answered by the same Go handler, which sees this
// object's state (and so its storage) as its runtime context's ctx.
export class PortalObject {
  constructor(state, env) {
    this.state = state;
    this.env = env;
  }

  fetch(request) {
    return worker.fetch(request, this.env, this.state);
  }

  // A run that fails throws, so the runtime tries the alarm again.
  async alarm() {
    const res = await worker.fetch(new Request("http://portal-object/alarm", { method: "POST" }), this.env, this.state);
    const text = await res.text();
    if (!res.ok) {
      throw new Error(`the alarm's run failed: HTTP ${res.status} ${text}`);
    }
  }
}
