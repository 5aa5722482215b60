// Command bench measures the markunread module in a real browser (Debian's
// headless Chromium, driven with chromedp) against the strict portal emulator
// (web/devportal) started in-process, and prints tables: figures, not
// pass/fail. Everything talks only to loopback: the portal origin listens on
// 127.0.0.1, the app origin (dist/ at /dist/, the bench page embedded from
// page/ at /, the floor program at /floor/) on localhost.
//
//	bench [-dist dist] [-floor bin/floor.wasm] [-chromium chromium] [-only limits,startup,trips,1,...,16,shared] [-js-flags f] [-v8-log file] ...
//
// It prints, in order:
//
//  1. Limits: n concurrent marks of distinct dialogs against a fresh portal
//     bucket (2/s, burst 50) each, (a) through the module with its defaults,
//     (b) through the module with batch: false, capped by its timeoutMs, (c) as
//     n plain parallel fetch() POSTs from the same page.
//  2. Start-up: load() called to load() settled, over cold page loads (each
//     in a new incognito browser context; the app origin sends no-store), for
//     the module and for the floor program through the same shim.
//  3. Round trip: sequential markUnread calls next to plain fetches of the
//     same endpoint from the same page, limiter not saturated.
//  4. Workloads: what real apps do (a click during a bulk job, several tabs
//     on one portal, an enterprise plan, a full bucket, latency), each next
//     to its reference (the bucket's limit, or the official SDK's explicit
//     batch API), as a Markdown table. -only picks parts and workloads.
//  5. A shared bucket (rows 10 to 16, -only shared for all): another app on
//     the same portal and address, steady or in bursts, or a bucket part
//     spent when the page opens; the module beside the ideal wall time and
//     the SDK's explicit batches (shared.go).
//
// To diagnose, -js-flags runs Chromium with V8 flags (the run says so at
// its top), and -v8-log with -js-flags=--trace-wasm-compilation-times
// prints, at the end, what V8's wasm compilers spent over the run.
//
// `make bench` builds what it needs and runs it; it is not part of make test.
// Every loop is bounded in count and every browser call in time.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/markunread/markunread/web/chromium"
	"github.com/markunread/markunread/web/devportal"
)

//go:embed page
var pageFiles embed.FS

type options struct {
	dist      string
	floor     string
	chromium  string
	marks     int
	capB      time.Duration
	loads     int
	trips     int
	warmup    int
	total     time.Duration
	skipLimit bool
	only      string
	reps      int
	sdk       string
	jsFlags   string
	v8Log     string
}

func main() {
	var o options
	flag.StringVar(&o.dist, "dist", "dist", "the build: markunread.js, wasm_exec.js, markunread.wasm(.br, .gz)")
	flag.StringVar(&o.floor, "floor", "bin/floor.wasm", "the floor program (its .br and .gz beside it are served too)")
	flag.StringVar(&o.chromium, "chromium", "chromium", "Chromium executable")
	flag.IntVar(&o.marks, "marks", 500, "concurrent marks in each limits case")
	flag.DurationVar(&o.capB, "cap-b", 60*time.Second, "timeoutMs given to the module in limits case (b), batch: false")
	flag.IntVar(&o.loads, "loads", 20, "cold page loads for each of module and floor (plus one discarded warm-up each)")
	flag.IntVar(&o.trips, "trips", 200, "sequential round trips for each of module and plain fetch")
	flag.IntVar(&o.warmup, "warmup", 10, "round-trip pairs run before the measured ones and not counted")
	flag.DurationVar(&o.total, "max", 40*time.Minute, "the whole run stops after this long")
	flag.BoolVar(&o.skipLimit, "skip-limits", false, "skip the limits tables (quick runs)")
	flag.StringVar(&o.only, "only", "", "run only these parts, comma-separated: limits, startup, trips, workloads 1..9, shared-bucket rows 10..16 or shared for all of them (e.g. -only 1,3)")
	flag.IntVar(&o.reps, "reps", 3, "runs of each workload marked ×N (their medians are printed)")
	flag.StringVar(&o.sdk, "sdk", "web/browsertest/sdk/node_modules/@bitrix24/b24jssdk/dist/umd/index.min.js",
		"the official SDK's browser bundle, the reference of workloads 7 and 8 (npm ci --prefix web/browsertest/sdk)")
	flag.StringVar(&o.jsFlags, "js-flags", "", "V8 flags for Chromium, to diagnose only (e.g. --wasm-tiering-budget=2000000000 turns wasm tier-up off)")
	flag.StringVar(&o.v8Log, "v8-log", "", "with -js-flags=--trace-wasm-compilation-times: write Chromium's output to this file and print the wasm compile times it logged")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, o.total)
	err := run(ctx, o, os.Stdout)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds what every part shares: the emulator, the origins, the browser.
type bench struct {
	out       io.Writer
	portal    *devportal.Portal
	portalURL string
	appURL    string
	token     string
	browser   context.Context // a chromedp context whose browser is running
	latency   *latencyHandler // in front of the portal
	sdk       bool            // the SDK's bundle is served at /sdk/index.min.js
	jsFlags   string          // V8 flags Chromium runs with (diagnosis only)
}

// The portal's configuration for each part; AppURL is filled in by run.
var (
	strictConfig = devportal.Config{Rate: 2, Burst: 50}
	openConfig   = devportal.Config{Rate: 2, Burst: 10000}
)

func run(ctx context.Context, o options, out io.Writer) error {
	start := time.Now()
	for _, f := range []string{"markunread.js", "auth.js", "wasm_exec.js", "markunread.wasm"} {
		if _, err := os.Stat(filepath.Join(o.dist, f)); err != nil {
			return fmt.Errorf("%w (run make build first)", err)
		}
	}
	if _, err := os.Stat(o.floor); err != nil {
		return fmt.Errorf("%w (build it: GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s -o bin/floor.wasm ./tools/floor)", err)
	}
	chromiumPath, err := exec.LookPath(o.chromium)
	if err != nil {
		return fmt.Errorf("chromium: %w (make bench installs it)", err)
	}

	// The app origin's root: the bench page, and the floor under /floor/.
	root, err := os.MkdirTemp("", "markunread-bench-app-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	if err := writeAppRoot(root, o.floor); err != nil {
		return err
	}
	// Serve and measure a snapshot of dist/: a make build elsewhere during
	// the run must not swap the module under it.
	snapshot := filepath.Join(root, ".dist")
	if err := copyFiles(snapshot, o.dist); err != nil {
		return err
	}
	distName := o.dist
	o.dist = snapshot

	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	al, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		pl.Close()
		return err
	}
	b := &bench{
		out:       out,
		portalURL: "http://" + pl.Addr().String(),
		appURL:    "http://localhost:" + strconv.Itoa(al.Addr().(*net.TCPAddr).Port),
		jsFlags:   o.jsFlags,
	}
	strictConfig.AppURL = b.appURL + "/"
	openConfig.AppURL = b.appURL + "/"
	b.portal = devportal.New(strictConfig)
	b.token = b.portal.IssueToken().Access
	b.latency = &latencyHandler{next: b.portal.Handler()}
	app := http.NewServeMux()
	app.Handle("/", devportal.AppHandler(root, o.dist))
	if _, err := os.Stat(o.sdk); err == nil {
		b.sdk = true
		app.Handle("/sdk/", http.StripPrefix("/sdk", devportal.AppHandler(filepath.Dir(o.sdk), o.dist)))
	}
	ps := &http.Server{Handler: b.latency, ReadHeaderTimeout: 10 * time.Second}
	as := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go ps.Serve(pl)
	go as.Serve(al)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = ps.Shutdown(sctx)
		_ = as.Shutdown(sctx)
	}()

	// Headless Chromium with a fresh profile.
	profile, err := os.MkdirTemp("", "markunread-bench-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	flags := append(chromium.Headless(chromiumPath, profile),
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-extensions", true),
		// Timers drive the module's limiter: keep them unthrottled.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
	)
	if o.jsFlags != "" {
		flags = append(flags, chromedp.Flag("js-flags", o.jsFlags))
	}
	if o.v8Log != "" {
		f, err := os.Create(o.v8Log)
		if err != nil {
			return err
		}
		defer f.Close()
		flags = append(flags, chromedp.CombinedOutput(f))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, flags...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	version, err := chromedp.CallBrowser(browserCtx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("starting chromium: %w", err)
	}
	b.browser = browserCtx

	if err := b.printEnv(version, distName, o.floor, snapshot, filepath.Join(root, "floor", "floor.wasm")); err != nil {
		return err
	}
	sel := parseSelection(o.only)
	if !o.skipLimit && sel.has("limits") {
		if err := b.limits(ctx, o); err != nil {
			return fmt.Errorf("limits: %w", err)
		}
	}
	if sel.has("startup") {
		if err := b.startup(ctx, o); err != nil {
			return fmt.Errorf("start-up: %w", err)
		}
	}
	if sel.has("trips") {
		if err := b.roundTrip(ctx, o); err != nil {
			return fmt.Errorf("round trip: %w", err)
		}
	}
	if sel.anyWorkload() {
		if err := b.workloads(ctx, o, sel); err != nil {
			return fmt.Errorf("workloads: %w", err)
		}
	}
	if sel.anyShared() {
		if err := b.shared(ctx, sel); err != nil {
			return fmt.Errorf("a shared bucket: %w", err)
		}
	}
	if o.v8Log != "" {
		cancelBrowser() // Chromium's output is complete once it has gone
		cancelAlloc()
		if err := printCompileTimes(out, o.v8Log); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nwhole run: %.0f s\n", time.Since(start).Seconds())
	return nil
}

// writeAppRoot puts the embedded bench page at root and the floor program
// (with its .br/.gz, if built) at root/floor/, so that the same handler
// serves them as it serves dist/: same headers, same content negotiation.
func writeAppRoot(root, floor string) error {
	page, err := fs.Sub(pageFiles, "page")
	if err != nil {
		return err
	}
	if err := os.CopyFS(root, page); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(root, "floor"), 0o755); err != nil {
		return err
	}
	for _, ext := range []string{"", ".br", ".gz"} {
		data, err := os.ReadFile(floor + ext)
		if errors.Is(err, fs.ErrNotExist) && ext != "" {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, "floor", "floor.wasm"+ext), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copyFiles copies the regular files of dir src (not its subdirectories)
// into a new directory dst.
func copyFiles(dst, src string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// printEnv prints the environment and the sizes of the served copies of the
// module and the floor, labelled with where they were copied from.
func (b *bench) printEnv(v browser.GetVersionResult, distName, floorName, dist, floor string) error {
	fmt.Fprintln(b.out, "== Environment")
	w := newTable(b.out)
	fmt.Fprintf(w, "chromium\t%s (V8 %s, %s)\n", v.Product, v.JsVersion, v.UserAgent)
	fmt.Fprintf(w, "go (bench and, under make bench, the wasm builds)\t%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "cpus\t%d\n", runtime.NumCPU())
	if b.jsFlags != "" {
		fmt.Fprintf(w, "V8 flags (to diagnose: figures are not the defaults')\t%s\n", b.jsFlags)
	}
	fmt.Fprintf(w, "portal origin / app origin\t%s / %s\n", b.portalURL, b.appURL)
	w.Flush()

	fmt.Fprintln(b.out, "\nsizes (bytes) of the copies this run serves (taken at its start)")
	w = newTable(b.out)
	fmt.Fprintln(w, "file\traw\tgzip\tbrotli\t")
	ms := fileSizes(filepath.Join(dist, "markunread.wasm"))
	fl := fileSizes(floor)
	fmt.Fprintf(w, "%s\t%d\t%s\t%s\t\n", filepath.Join(distName, "markunread.wasm"), ms[0], sizeOrDash(ms[1]), sizeOrDash(ms[2]))
	fmt.Fprintf(w, "%s\t%d\t%s\t%s\t\n", floorName, fl[0], sizeOrDash(fl[1]), sizeOrDash(fl[2]))
	fmt.Fprintf(w, "ratio module/floor\t%.2f\t%s\t%s\t\n", ratio(ms[0], fl[0]), ratioOrDash(ms[1], fl[1]), ratioOrDash(ms[2], fl[2]))
	return w.Flush()
}

// fileSizes returns the sizes of f, f.gz and f.br; -1 for a missing file.
func fileSizes(f string) [3]int64 {
	var s [3]int64
	for i, ext := range []string{"", ".gz", ".br"} {
		s[i] = -1
		if st, err := os.Stat(f + ext); err == nil {
			s[i] = st.Size()
		}
	}
	return s
}

func sizeOrDash(n int64) string {
	if n < 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

func ratio(a, b int64) float64 { return float64(a) / float64(b) }

func ratioOrDash(a, b int64) string {
	if a < 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ratio(a, b))
}

func newTable(out io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
}

// ---- the browser side ------------------------------------------------------

// openPage opens the bench page in a new tab (in a new incognito browser
// context when cold) and waits for its script. close closes the tab (and
// disposes the context).
func (b *bench) openPage(ctx context.Context, cold bool) (tab context.Context, close func(), err error) {
	var opts []chromedp.ContextOption
	if cold {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	tab, cancel := chromedp.NewContext(b.browser, opts...)
	// Cancelling ctx (the run's deadline) also closes the tab.
	stop := context.AfterFunc(ctx, cancel)
	close = func() {
		stop()
		cancel()
	}
	// The first Run creates the target; its context must be tab itself.
	if err := chromedp.Do(tab); err != nil {
		close()
		return nil, nil, err
	}
	nctx, ncancel := context.WithTimeout(tab, 30*time.Second)
	defer ncancel()
	if err := chromedp.Do(nctx, chromedp.Navigate(b.appURL+"/")); err != nil {
		close()
		return nil, nil, fmt.Errorf("opening the bench page: %w", err)
	}
	if _, err := chromedp.Run(nctx, chromedp.Poll[bool]("window.benchReady === true",
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		close()
		return nil, nil, fmt.Errorf("the bench page did not start: %w", err)
	}
	return tab, close, nil
}

// call runs window.bench[fn](arg) in the tab, awaits it, and decodes its
// result into T, within limit.
func call[T any](tab context.Context, limit time.Duration, fn string, arg any) (T, error) {
	var zero T
	js, err := json.Marshal(arg)
	if err != nil {
		return zero, err
	}
	cctx, cancel := context.WithTimeout(tab, limit)
	defer cancel()
	v, err := chromedp.Run(cctx, chromedp.Evaluate[T](fmt.Sprintf("window.bench.%s(%s)", fn, js), chromedp.EvalAwaitPromise))
	if err != nil {
		return zero, fmt.Errorf("bench.%s: %w", fn, err)
	}
	return v, nil
}

// ---- 1. limits -------------------------------------------------------------

type marksResult struct {
	WallMs float64            `json:"wallMs"`
	OK     int                `json:"ok"`
	OkMs   []float64          `json:"okMs"`
	Codes  map[string]int     `json:"codes"`
	Stats  map[string]float64 `json:"stats"` // the module's client.stats(); nil for plain fetch
}

type limitsRow struct {
	name     string
	res      marksResult
	server   devportal.Stats
	recorded int
}

func (b *bench) limits(ctx context.Context, o options) error {
	n := o.marks
	fmt.Fprintf(b.out, "\n== 1. Limits: %d concurrent marks of distinct dialogs; strict emulator at %g/s, burst %d, a fresh bucket for each case\n",
		n, strictConfig.Rate, strictConfig.Burst)
	cases := []struct {
		name  string
		fn    string
		arg   map[string]any
		limit time.Duration
	}{
		{"(a) module, defaults (batch on)", "marks", map[string]any{}, 150 * time.Second},
		{fmt.Sprintf("(b) module, batch: false, timeoutMs %d", o.capB.Milliseconds()), "marks",
			map[string]any{"batch": false, "timeoutMs": o.capB.Milliseconds()}, o.capB + 60*time.Second},
		{"(c) plain parallel fetch()", "fetches", map[string]any{"timeoutMs": 30000}, 90 * time.Second},
	}
	var rows []limitsRow
	for _, c := range cases {
		tab, closeTab, err := b.openPage(ctx, false)
		if err != nil {
			return err
		}
		c.arg["n"] = n
		c.arg["portal"] = b.portalURL
		c.arg["token"] = b.token
		b.portal.Reset(strictConfig)
		fmt.Fprintf(os.Stderr, "bench: limits %s ...\n", c.name)
		res, err := call[marksResult](tab, c.limit, c.fn, c.arg)
		closeTab()
		if err != nil {
			return err
		}
		rows = append(rows, limitsRow{c.name, res, b.portal.Stats(), len(b.portal.Unread())})
	}

	w := newTable(b.out)
	fmt.Fprintln(w, "case\twall s\tok\tfailures by code\tserver requests\tserver 503s\tserver max req/s\tdialogs recorded\tmodule requests/batches/retries/503s seen\t")
	for _, r := range rows {
		mod := "-"
		if r.res.Stats != nil {
			s := r.res.Stats
			mod = fmt.Sprintf("%.0f/%.0f/%.0f/%.0f", s["requests"], s["batches"], s["retries"], s["status503"])
		}
		fmt.Fprintf(w, "%s\t%.2f\t%d/%d\t%s\t%d\t%d\t%d\t%d\t%s\t\n", r.name, r.res.WallMs/1000, r.res.OK, n,
			formatCodes(r.res.Codes), r.server.Requests, r.server.Status503, r.server.MaxPerSecond, r.recorded, mod)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(b.out, "wall: from the first call (after load() resolved) to the last settle; ok: calls that resolved true; dialogs recorded: distinct dialogs the emulator stored.")

	a, bb := rows[0], rows[1]
	met := a.res.OK == n && a.server.Status503 == 0 && a.res.WallMs < 10000
	fmt.Fprintf(b.out, "FLOOR (a): all %d succeed, zero 503s, under 10 s: %s (ok %d, 503s %d, %.2f s)\n",
		n, metText(met), a.res.OK, a.server.Status503, a.res.WallMs/1000)

	burst := strictConfig.Burst
	theory := float64(n-burst) / strictConfig.Rate
	projected := projectDone(bb.res.OkMs, n, burst) / 1000
	last := 0.0
	if k := len(bb.res.OkMs); k > 0 {
		last = bb.res.OkMs[k-1] / 1000
	}
	fmt.Fprintf(b.out, "(b) is capped by the module's own timeoutMs (%d ms, a call's whole life): the table shows the calls that\n"+
		"    succeeded within it (last success at %.1f s) and the rest as TIMEOUT. Projected time for all %d at the\n"+
		"    measured sustained rate after the burst: %s s (theory: %d at once, then %d at %g/s = %.0f s).\n",
		o.capB.Milliseconds(), last, n, fmtSeconds(projected), burst, n-burst, strictConfig.Rate, theory)
	return nil
}

func metText(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

func fmtSeconds(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", s)
}

// ---- 2. start-up -----------------------------------------------------------

type startupResult struct {
	Ms              float64 `json:"ms"`
	Error           *string `json:"error"`
	TransferSize    float64 `json:"transferSize"`
	EncodedBodySize float64 `json:"encodedBodySize"`
	DecodedBodySize float64 `json:"decodedBodySize"`
	FetchMs         float64 `json:"fetchMs"`
}

// floorRefusal is how the shim refuses the floor's api (it has only markUnread):
// the moment the floor was ready.
const floorRefusal = "the module is not the version this shim expects"

func (b *bench) startup(ctx context.Context, o options) error {
	fmt.Fprintf(b.out, "\n== 2. Start-up: load() called -> settled, %d cold page loads each (new incognito context per load, no-store; one discarded warm-up each; module and floor alternate)\n", o.loads)
	progs := []struct{ name, url string }{
		{"module (dist/markunread.wasm)", "/dist/markunread.wasm"},
		{"floor (" + o.floor + ")", "/floor/floor.wasm"},
	}
	results := make([][]startupResult, len(progs))
	for i := -1; i < o.loads; i++ {
		if i%5 == 4 {
			fmt.Fprintf(os.Stderr, "bench: start-up %d/%d\n", i+1, o.loads)
		}
		for k := range progs {
			if i%2 != 0 { // alternate which goes first
				k = len(progs) - 1 - k
			}
			p := progs[k]
			r, err := b.coldStart(ctx, p.url)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			isFloor := k == 1
			switch {
			case r.Error == nil && isFloor:
				return fmt.Errorf("%s: load() resolved; expected the shim to refuse the floor's api (%q)", p.name, floorRefusal)
			case r.Error != nil && (!isFloor || !strings.Contains(*r.Error, floorRefusal)):
				return fmt.Errorf("%s: load() failed: %s", p.name, *r.Error)
			}
			if i >= 0 {
				results[k] = append(results[k], r)
			}
		}
	}

	w := newTable(b.out)
	fmt.Fprintln(w, "program\tloads\tmedian ms\tp90 ms\tmin ms\tmax ms\twasm fetch ms (median)\twasm bytes on the wire / decoded\t")
	med := make([]float64, len(progs))
	p90 := make([]float64, len(progs))
	cached := 0
	for k, p := range progs {
		var ms, fetch []float64
		for _, r := range results[k] {
			ms = append(ms, r.Ms)
			fetch = append(fetch, r.FetchMs)
			if r.TransferSize == 0 {
				cached++
			}
		}
		med[k], p90[k] = median(ms), percentile(ms, 90)
		last := results[k][len(results[k])-1]
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f / %.0f\t\n", p.name, len(ms), med[k], p90[k],
			percentile(ms, 0), percentile(ms, 100), median(fetch), last.EncodedBodySize, last.DecodedBodySize)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if cached > 0 {
		fmt.Fprintf(b.out, "WARNING: %d loads reported transferSize 0 (served from a cache?)\n", cached)
	}
	r := med[0] / med[1]
	fmt.Fprintf(b.out, "ratio module/floor: median %.2f, p90 %.2f\n", r, p90[0]/p90[1])
	fmt.Fprintf(b.out, "FLOOR start-up: median ratio at most 1.3: %s (%.2f)\n", metText(r <= 1.3), r)
	fmt.Fprintf(b.out, "(the floor exports only markUnread, so the shim refuses its api right after ready() with %q;\n that refusal is when the floor was ready and is what its time measures)\n", floorRefusal)
	return nil
}

// coldStart times one load() of wasmURL in a fresh incognito context.
func (b *bench) coldStart(ctx context.Context, wasmURL string) (startupResult, error) {
	tab, closeTab, err := b.openPage(ctx, true)
	if err != nil {
		return startupResult{}, err
	}
	defer closeTab()
	return call[startupResult](tab, 60*time.Second, "startup", map[string]any{
		"wasmUrl": wasmURL, "portal": b.portalURL, "token": b.token,
	})
}

// ---- 3. round trip ---------------------------------------------------------

type tripsResult struct {
	ModuleMs []float64          `json:"moduleMs"`
	FetchMs  []float64          `json:"fetchMs"`
	Stats    map[string]float64 `json:"stats"`
}

func (b *bench) roundTrip(ctx context.Context, o options) error {
	fmt.Fprintf(b.out, "\n== 3. Round trip: %d sequential calls each (after %d warm-up pairs), alternating module and plain fetch from the same page; emulator and module limits %g/s, burst %d (not saturated)\n",
		o.trips, o.warmup, openConfig.Rate, openConfig.Burst)
	tab, closeTab, err := b.openPage(ctx, false)
	if err != nil {
		return err
	}
	defer closeTab()
	b.portal.Reset(openConfig)
	fmt.Fprintln(os.Stderr, "bench: round trips ...")
	res, err := call[tripsResult](tab, 3*time.Minute, "roundTrips", map[string]any{
		"n": o.trips, "warmup": o.warmup, "portal": b.portalURL, "token": b.token,
		"perSecond": openConfig.Rate, "burst": openConfig.Burst, "timeoutMs": 30000,
	})
	if err != nil {
		return err
	}
	server := b.portal.Stats()

	w := newTable(b.out)
	fmt.Fprintln(w, "path\tcalls\tmedian ms\tp90 ms\tp99 ms\tmin ms\tmax ms\t")
	rows := []struct {
		name string
		ms   []float64
	}{{"markUnread (module)", res.ModuleMs}, {"plain fetch + json()", res.FetchMs}}
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", r.name, len(r.ms), median(r.ms), percentile(r.ms, 90),
			percentile(r.ms, 99), percentile(r.ms, 0), percentile(r.ms, 100))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "ratio module/fetch: median %.2f, p90 %.2f\n", median(res.ModuleMs)/median(res.FetchMs),
		percentile(res.ModuleMs, 90)/percentile(res.FetchMs, 90))
	s := res.Stats
	fmt.Fprintf(b.out, "server saw %d requests (%d batches), %d 503s; the module sent %.0f requests (%.0f batches, %.0f commands, %.0f retries)\n",
		server.Requests, server.Batches, server.Status503, s["requests"], s["batches"], s["commands"], s["retries"])
	fmt.Fprintln(b.out, "(performance.now() in a page that is not cross-origin isolated has about 0.1 ms resolution)")
	return nil
}
