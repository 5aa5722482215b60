// markunread: loads the Go/wasm module into an app page and hands back a
// client. This file is the package's entry and its map; the public API is
// what it exports (typed in markunread.d.ts).
//
// # The files, one idea each
//
//	markunread.js    this map, and the public exports
//	load.js          load(): the download and its watchdog, wasm_exec's Go
//	                 made safe to outlive, and the bridge object the Go
//	                 program reads (the JS half of wasm/browser/doc.go)
//	client.js        MarkUnreadError, MarkUnreadClient, and ModuleState: one
//	                 loaded program's lifecycle (pending calls, close, failure)
//	options.js       load()'s options: checked here by type and name, handed
//	                 to the module by the names of its option list
//	redaction.js     tokens kept out of every message and log line
//	auth.js          the auth sources (an object, BX24, a B24Frame, the
//	                 portal's postMessage protocol) behind one interface
//	own.js           reading by own properties only, null-prototype objects
//	later.js         later(): marks that outlive the page, run by the app's
//	                 Worker (docs/worker.md)
//	budget.js        the request budget that the app's clients, frames and
//	                 tabs share per portal: its API and the module's adapter
//	budget-link.js   this page's one connection to where the bucket lives
//	budget-transports.js  the three places it can live: a SharedWorker, a
//	                 leader tab (Web Locks + BroadcastChannel), this page
//	budget-core.js   the budget's protocol, checked and dispatched in one
//	                 place (BudgetHub.receive), holds and room estimates
//	budget-ledger.js the leaky bucket per portal and its FIFO line
//	markunread-budget-worker.js  the SharedWorker: ports around a BudgetHub
//	plans.js         a portal's plan remembered between page loads
//	wasm_exec.js     the Go toolchain's wasm_exec.js in an ES module that
//	                 leaves the page's globals alone (js/wasm_exec.module.js)
//
// package.json's "files" lists what ships; the Makefile and the tests read
// it from there.
//
// # Words
//
//	module     the Go program compiled to wasm (wasm/cmd/markunread)
//	bridge     the object through which the shim and the module meet
//	portal     a Bitrix24 portal's origin; the unit of every limit
//	budget     the share of the portal's bucket this browser may spend
//	hold       a method blocked until a time (OPERATION_TIME_LIMIT)
//	room       what the portal's other apps leave of its rate; a client
//	           tells it as others, the requests/second they are believed
//	           to spend (0: nobody), and when it learned that
export { load } from './load.js';
export { MarkUnreadError, MarkUnreadClient } from './client.js';
export { later } from './later.js';

// Every file the shim imports, deeper ones too, is named here: a page
// without a bundler then asks for them all at once after this one, instead
// of one round of requests per level of imports (load.js, budget.js,
// budget-link.js, ... is six deep). Measured at 100 ms per request, the
// graph loads in about 0.5 s this way and 0.6-0.75 s without the list.
import './options.js';
import './redaction.js';
import './own.js';
import './auth.js';
import './budget.js';
import './budget-link.js';
import './budget-transports.js';
import './budget-core.js';
import './budget-ledger.js';
import './plans.js';
import './wasm_exec.js';
