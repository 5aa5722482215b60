package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/markunread/markunread/web/devportal"
)

// The workloads that real apps have, each measured next to its reference:
// what the bucket allows, or the official SDK's explicit batch API doing the
// same marks. Every run talks to the in-process emulator on loopback.

// Portal plans as the emulator runs them.
var (
	standardPlan = devportal.Config{Rate: 2, Burst: 50}
	// An enterprise portal says so in app.info's LICENSE, as a real one does.
	enterprisePlan = devportal.Config{Rate: 5, Burst: 250, License: "ru_ent250"}
)

// limits is the module's limits option as the page passes it to load().
type limits struct {
	PerSecond float64 `json:"perSecond"`
	Burst     int     `json:"burst"`
}

// latencyHandler holds every request to the portal for a set time before
// the emulator sees it: the round trip of a portal far away.
type latencyHandler struct {
	next  http.Handler
	delay atomic.Int64 // nanoseconds
}

func (h *latencyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d := time.Duration(h.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

// jobRun is one measured bulk job (over one or several tabs), or one job
// through the SDK.
type jobRun struct {
	wall     time.Duration
	ok       int
	n        int
	codes    map[string]int
	requests int
	s503     int
	api      string
	server   devportal.Stats // what the emulator counted, the other app's requests too
}

type bulkResult struct {
	OK           int               `json:"ok"`
	Codes        map[string]int    `json:"codes"`
	Descriptions map[string]string `json:"descriptions"`
	API          string            `json:"api"`
	WallMs       float64           `json:"wallMs"`
	StartEpoch   float64           `json:"startEpoch"`
	EndEpoch     float64           `json:"endEpoch"`
}

// bulkJob is one job as the bench runs it.
type bulkJob struct {
	plan    devportal.Config
	latency time.Duration
	tabs    int     // tabs of the app on the same portal, each with its own n marks
	n       int     // marks per tab
	limits  *limits // nil: the module's defaults
	sdk     bool    // through the official SDK instead of the module (one tab)
}

func (j bulkJob) total() int { return j.tabs * j.n }

// bulk runs j once: it opens the tabs, resets the portal, and starts every
// tab's job at the same moment.
func (b *bench) bulk(ctx context.Context, j bulkJob) (jobRun, error) {
	if j.tabs < 1 {
		j.tabs = 1
	}
	tabs := make([]context.Context, j.tabs)
	for i := range tabs {
		tab, closeTab, err := b.openPage(ctx, false)
		if err != nil {
			return jobRun{}, err
		}
		defer closeTab()
		tabs[i] = tab
	}
	b.latency.delay.Store(int64(j.latency))
	defer b.latency.delay.Store(0)

	fn := "bulkMarks"
	if j.sdk {
		fn = "sdkBatches"
	}
	for i, tab := range tabs {
		arg := map[string]any{"sdk": j.sdk, "portal": b.portalURL, "token": b.token}
		if j.limits != nil {
			arg["limits"] = j.limits
		}
		if _, err := call[bool](tab, time.Minute, "prepare", arg); err != nil {
			return jobRun{}, fmt.Errorf("tab %d: %w", i+1, err)
		}
	}
	// Every tab is ready: they start together. The portal is reset just
	// before, so that a prefilled bucket has not drained by then.
	startAt := time.Now().Add(300*time.Millisecond + time.Duration(j.tabs)*50*time.Millisecond)
	b.portal.Reset(j.plan)
	resetAt := time.AfterFunc(time.Until(startAt)-5*time.Millisecond, func() { b.portal.Reset(j.plan) })
	defer resetAt.Stop()
	limit := 4*time.Minute + time.Duration(j.total()/10)*time.Millisecond*1000/2
	results := make([]bulkResult, j.tabs)
	errs := make([]error, j.tabs)
	var wg sync.WaitGroup
	for i, tab := range tabs {
		arg := map[string]any{
			"n": j.n, "first": i*j.n + 1, "portal": b.portalURL, "token": b.token,
			"startAt": startAt.UnixMilli(),
		}
		if j.limits != nil {
			arg["limits"] = j.limits
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = call[bulkResult](tab, limit, fn, arg)
		}()
	}
	wg.Wait()
	r := jobRun{n: j.total(), codes: map[string]int{}}
	var first, last float64 = math.Inf(1), 0
	for i, res := range results {
		if errs[i] != nil {
			return jobRun{}, errs[i]
		}
		r.ok += res.OK
		for k, v := range res.Codes {
			r.codes[k] += v
			fmt.Fprintf(os.Stderr, "bench: tab %d: %d × %s (%s)\n", i+1, v, k, res.Descriptions[k])
		}
		r.api = res.API
		if late := res.StartEpoch - float64(startAt.UnixMilli()); late > 250 {
			return jobRun{}, fmt.Errorf("%s in tab %d started %.0f ms late (page or module load too slow)", fn, i+1, late)
		}
		if j.sdk {
			first, last = 0, res.WallMs
			continue
		}
		first = min(first, res.StartEpoch)
		last = max(last, res.EndEpoch)
	}
	r.wall = time.Duration((last - first) * float64(time.Millisecond))
	if j.sdk {
		r.wall = time.Duration(last * float64(time.Millisecond))
	}
	st := b.portal.Stats()
	r.requests, r.s503, r.server = st.Requests, st.Status503, st
	return r, nil
}

// bulkMedian runs j reps times and gives the medians of its figures.
func (b *bench) bulkMedian(ctx context.Context, j bulkJob, reps int) (jobRun, error) {
	var runs []jobRun
	for range reps {
		r, err := b.bulk(ctx, j)
		if err != nil {
			return jobRun{}, err
		}
		runs = append(runs, r)
	}
	return medianRun(runs), nil
}

func medianRun(runs []jobRun) jobRun {
	m := runs[len(runs)/2]
	pick := func(f func(jobRun) float64) float64 {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return median(xs)
	}
	m.wall = time.Duration(pick(func(r jobRun) float64 { return float64(r.wall) }))
	m.ok = int(pick(func(r jobRun) float64 { return float64(r.ok) }))
	m.requests = int(math.Round(pick(func(r jobRun) float64 { return float64(r.requests) })))
	m.s503 = int(math.Round(pick(func(r jobRun) float64 { return float64(r.s503) })))
	return m
}

func (r jobRun) String() string {
	s := fmt.Sprintf("%s s, %d/%d ok, %d requests, %d × 503", secs(r.wall), r.ok, r.n, r.requests, r.s503)
	if len(r.codes) > 0 {
		s += ", failed: " + formatCodes(r.codes)
	}
	return s
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64)
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
}

// bucketLimit is the reference for a bulk job of marks on a fresh bucket
// of plan, for a client that knows the plan and shares one bucket: one
// request per 50 marks, the first burst of them at once, the rest at the
// drain rate.
func bucketLimit(plan devportal.Config, marks int) string {
	reqs := (marks + 49) / 50
	wait := math.Max(0, float64(reqs-plan.Burst)/plan.Rate)
	return fmt.Sprintf("%s s, %d requests, 0 × 503 (bucket limit at %g/s, burst %d)", secs(time.Duration(wait*float64(time.Second))), reqs, plan.Rate, plan.Burst)
}

// ---- clicks during bulk jobs -----------------------------------------------

type clickResult struct {
	ClickMs       float64 `json:"clickMs"`
	ClickCode     *string `json:"clickCode"`
	QueuedAtClick int     `json:"queuedAtClick"`
	BulkOkAtClick int     `json:"bulkOkAtClick"`
	API           string  `json:"api"`
}

// clickCap bounds how long the bench waits for one click: a click stuck
// behind a bulk job is reported as TIMEOUT/ABORTED after it.
const clickCap = 30 * time.Second

// clickDuring measures one click made clickAfter after a bulk job of n
// marks began, reps times, and gives the median click latency with every
// outcome.
func (b *bench) clickDuring(ctx context.Context, plan devportal.Config, n int, clickAfter time.Duration, reps int) (string, error) {
	var ms []float64
	outcomes := map[string]int{}
	queued := []string{}
	api := ""
	for range reps {
		tab, closeTab, err := b.openPage(ctx, false)
		if err != nil {
			return "", err
		}
		b.portal.Reset(plan)
		res, err := call[clickResult](tab, 3*time.Minute, "clickDuringBulk", map[string]any{
			"n": n, "clickAfterMs": clickAfter.Milliseconds(), "clickTimeoutMs": clickCap.Milliseconds(),
			"portal": b.portalURL, "token": b.token,
		})
		closeTab()
		if err != nil {
			return "", err
		}
		ms = append(ms, res.ClickMs)
		code := "ok"
		if res.ClickCode != nil {
			code = *res.ClickCode
		}
		if code == "ABORTED" && res.ClickMs >= float64((clickCap-100*time.Millisecond).Milliseconds()) {
			code = fmt.Sprintf("still waiting at %s s, then aborted", secs(clickCap))
		}
		outcomes[code]++
		queued = append(queued, strconv.Itoa(res.QueuedAtClick))
		api = res.API
	}
	slices.Sort(ms)
	return fmt.Sprintf("click settles in %s s (%s; runs %s s), %s queued at the click [%s]",
		secs(time.Duration(median(ms)*float64(time.Millisecond))), formatOutcomes(outcomes), joinSecs(ms),
		strings.Join(queued, "/"), api), nil
}

func formatOutcomes(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s×%d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func joinSecs(ms []float64) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = secs(time.Duration(m * float64(time.Millisecond)))
	}
	return strings.Join(parts, "/")
}

// ---- the table -------------------------------------------------------------

type workloadRow struct {
	id, name, module, reference string
}

// workloads measures the workloads picked by sel (all when sel is empty)
// and prints them as a Markdown table.
func (b *bench) workloads(ctx context.Context, o options, sel selection) error {
	fmt.Fprintf(b.out, "\n== 4. Workloads: strict emulator (leaky bucket, 503 QUERY_LIMIT_EXCEEDED), standard plan %g/s burst %d, enterprise %g/s burst %d; medians of %d runs where marked (×%d)\n",
		standardPlan.Rate, standardPlan.Burst, enterprisePlan.Rate, enterprisePlan.Burst, o.reps, o.reps)
	full := standardPlan
	full.Prefill = float64(full.Burst)
	reps := o.reps
	var rows []workloadRow
	add := func(id, name, module, reference string) {
		rows = append(rows, workloadRow{id, name, module, reference})
		fmt.Fprintf(os.Stderr, "bench: workload %s: %s | %s\n", id, module, reference)
	}
	progress := func(id string) { fmt.Fprintf(os.Stderr, "bench: workload %s ...\n", id) }

	if sel.has("1") {
		progress("1")
		m, err := b.clickDuring(ctx, full, 2000, 2*time.Second, reps)
		if err != nil {
			return fmt.Errorf("workload 1: %w", err)
		}
		add("1", fmt.Sprintf("a single click 2 s into a bulk job of 2,000 marks, the bucket already full (×%d)", reps), m,
			fmt.Sprintf("one request interval: %s s", secs(time.Duration(float64(time.Second)/standardPlan.Rate))))
	}
	if sel.has("2") {
		progress("2")
		m, err := b.clickDuring(ctx, full, 10000, 2*time.Second, reps)
		if err != nil {
			return fmt.Errorf("workload 2: %w", err)
		}
		add("2", fmt.Sprintf("a single click 2 s into a bulk job of 10,000 marks, the bucket already full (×%d)", reps), m,
			fmt.Sprintf("the click goes in the next request: ok within %s s plus one round trip", secs(time.Duration(float64(time.Second)/standardPlan.Rate))))
	}
	for _, t := range []struct {
		id   string
		tabs int
	}{{"3", 3}, {"4", 5}} {
		if !sel.has(t.id) {
			continue
		}
		progress(t.id)
		r, err := b.bulk(ctx, bulkJob{plan: standardPlan, tabs: t.tabs, n: 2000})
		if err != nil {
			return fmt.Errorf("workload %s: %w", t.id, err)
		}
		add(t.id, fmt.Sprintf("%d tabs of the app, 2,000 marks each, same portal (×1) [%s]", t.tabs, r.api), r.String(),
			bucketLimit(standardPlan, t.tabs*2000))
	}
	if sel.has("5") {
		progress("5")
		m, err := b.bulk(ctx, bulkJob{plan: enterprisePlan, n: 10000})
		if err != nil {
			return fmt.Errorf("workload 5: %w", err)
		}
		told := &limits{PerSecond: enterprisePlan.Rate, Burst: enterprisePlan.Burst}
		r, err := b.bulkMedian(ctx, bulkJob{plan: enterprisePlan, n: 10000, limits: told}, reps)
		if err != nil {
			return fmt.Errorf("workload 5: %w", err)
		}
		add("5", fmt.Sprintf("enterprise portal (%g/s, burst %d), module on defaults, 10,000 marks (×1; reference ×%d) [%s]", enterprisePlan.Rate, enterprisePlan.Burst, reps, m.api),
			m.String(), fmt.Sprintf("told {perSecond: %g, burst: %d}: %s", enterprisePlan.Rate, enterprisePlan.Burst, r))
	}
	if sel.has("6") {
		progress("6")
		told := &limits{PerSecond: enterprisePlan.Rate, Burst: enterprisePlan.Burst}
		m, err := b.bulk(ctx, bulkJob{plan: standardPlan, n: 10000, limits: told})
		if err != nil {
			return fmt.Errorf("workload 6: %w", err)
		}
		add("6", fmt.Sprintf("told %g/%d on a standard portal (%g/s, burst %d), 10,000 marks (×1) [%s]", enterprisePlan.Rate, enterprisePlan.Burst, standardPlan.Rate, standardPlan.Burst, m.api),
			m.String(), bucketLimit(standardPlan, 10000))
	}
	for _, lat := range []struct {
		id      string
		latency time.Duration
	}{{"7", 0}, {"8", 100 * time.Millisecond}, {"8", 300 * time.Millisecond}} {
		if !sel.has(lat.id) {
			continue
		}
		for _, n := range []int{500, 2000} {
			progress(lat.id)
			m, err := b.bulkMedian(ctx, bulkJob{plan: standardPlan, n: n, latency: lat.latency}, reps)
			if err != nil {
				return fmt.Errorf("workload %s: %w", lat.id, err)
			}
			ref := "n/a: the SDK's bundle is missing (npm ci --prefix web/browsertest/sdk)"
			if b.sdk {
				r, err := b.bulkMedian(ctx, bulkJob{plan: standardPlan, n: n, latency: lat.latency, sdk: true}, reps)
				if err != nil {
					return fmt.Errorf("workload %s (SDK): %w", lat.id, err)
				}
				ref = "SDK batch, 50-command chunks all at once: " + r.String()
			}
			add(lat.id, fmt.Sprintf("fresh bucket, %d ms latency, %d marks (×%d) [%s]", lat.latency.Milliseconds(), n, reps, m.api), m.String(), ref)
		}
	}
	if sel.has("9") {
		progress("9")
		m, err := b.bulkMedian(ctx, bulkJob{plan: full, n: 500}, reps)
		if err != nil {
			return fmt.Errorf("workload 9: %w", err)
		}
		add("9", fmt.Sprintf("bucket already full (another app used it), 500 marks (×%d) [%s]", reps, m.api), m.String(),
			fmt.Sprintf("%s s at the drain rate, 1 × 503", secs(time.Duration(float64((500+49)/50)/standardPlan.Rate*float64(time.Second)))))
	}

	fmt.Fprintln(b.out)
	fmt.Fprintln(b.out, "| # | workload | module (this build) | reference |")
	fmt.Fprintln(b.out, "|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(b.out, "| %s | %s | %s | %s |\n", r.id, r.name, r.module, r.reference)
	}
	fmt.Fprintln(b.out, "\nwall: from the bulk job's start (one moment for all tabs) to its last settle; requests and 503s: what the emulator saw;")
	fmt.Fprintln(b.out, "[markUnread loop]: the module has no markMany, so the job is markUnread per mark, all at once; a click is one markUnread.")
	fmt.Fprintln(b.out, "Latency is added by the bench in front of the emulator, to every request (CORS preflights too).")
	return nil
}

// selection is the -only flag: workload ids and part names.
type selection map[string]bool

func parseSelection(s string) selection {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	sel := selection{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			sel[p] = true
		}
	}
	return sel
}

// has says whether part or workload k was picked; no -only picks everything.
func (s selection) has(k string) bool { return s == nil || s[k] }

// anyWorkload says whether a workload of part 4 (1..9) was picked.
func (s selection) anyWorkload() bool {
	if s == nil {
		return true
	}
	for i := 1; i <= 9; i++ {
		if s[strconv.Itoa(i)] {
			return true
		}
	}
	return false
}

// anyShared says whether a row of part 5 (10..16, or "shared") was picked.
func (s selection) anyShared() bool {
	if s == nil || s["shared"] {
		return true
	}
	for _, c := range sharedCases {
		if s[c.id] {
			return true
		}
	}
	return false
}
