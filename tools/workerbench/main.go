// Command workerbench is make bench-worker: figures for the app's Worker
// (wasm/worker) under workerd against the emulator, each beside what it is
// measured against in the same run. Not pass/fail.
//
//	W1  the Worker's wasm, raw and brotli, and a hello Worker on the same glue
//	W2  cold start: workerd started until the first page is answered, and one
//	    request's own Go start (the glue starts a Go instance per request),
//	    the Worker against the hello Worker
//	W3  10,000 marks from 20 users due in the same minute on one portal:
//	    wall time against what the portal's bucket allows, 503s seen
//	W4  three portals at once, each at its own limit: each portal's wall
//	    time against what its bucket allows
//	W5  a background job of 20,000 marks that goes on after the tab closed:
//	    a page in Chromium hands it over and closes; wall time until the
//	    emulator's messenger shows every mark, against what its bucket allows
//
// Every wait is bounded; every address is loopback.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/markunread/markunread/wasm/worker/workerd"
	"github.com/markunread/markunread/web/devportal"
)

type options struct {
	dir, hello, workerd string
	sizes               string
	starts, requests    int
	users, perUser      int
	portals, perPortal  int
	only                string
	background          int
	chromium            string
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "bin/worker", "make worker-build's output")
	flag.StringVar(&o.hello, "hello", "bin/worker-hello", "the same with the hello Worker's app.wasm")
	flag.StringVar(&o.sizes, "sizes", "bin/workerbench", "worker.wasm and hello.wasm, each with its .br (W1)")
	flag.StringVar(&o.workerd, "workerd", "wasm/cmd/markunread-worker/node_modules/.bin/workerd", "the workerd binary")
	flag.IntVar(&o.starts, "starts", 5, "workerd starts measured for each Worker (W2)")
	flag.IntVar(&o.requests, "requests", 30, "sequential requests measured for each Worker (W2)")
	flag.IntVar(&o.users, "users", 20, "users with a job each (W3)")
	flag.IntVar(&o.perUser, "per-user", 500, "marks in each user's job (W3)")
	flag.IntVar(&o.portals, "portals", 3, "portals at once (W4)")
	flag.IntVar(&o.perPortal, "per-portal", 5000, "marks on each portal (W4)")
	flag.IntVar(&o.background, "background", 20000, "marks in the job a page hands over before its tab closes (W5)")
	flag.StringVar(&o.chromium, "chromium", "", "the chromium binary (W5; default: chromium on PATH)")
	flag.StringVar(&o.only, "only", "", "run only these rows, e.g. W1,W2")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "workerbench:", err)
		os.Exit(1)
	}
}

func (o options) want(row string) bool {
	if o.only == "" {
		return true
	}
	for _, r := range bytes.Split([]byte(o.only), []byte(",")) {
		if string(bytes.TrimSpace(r)) == row {
			return true
		}
	}
	return false
}

func run(o options) error {
	fmt.Println("The app's Worker (wasm/worker) under workerd, against the emulator; figures, not pass/fail.")
	if o.want("W1") {
		if err := sizes(o); err != nil {
			return err
		}
	}
	if o.want("W2") {
		if err := coldStart(o); err != nil {
			return err
		}
	}
	if o.want("W3") {
		if err := sameMinute(o); err != nil {
			return err
		}
	}
	if o.want("W4") {
		if err := threePortals(o); err != nil {
			return err
		}
	}
	if o.want("W5") {
		if err := background(o); err != nil {
			return err
		}
	}
	return nil
}

func sizes(o options) error {
	fmt.Println("\nW1  wasm size (bytes)            raw        brotli -q 11")
	for _, w := range []struct{ name, file string }{{"the Worker", o.sizes + "/worker.wasm"}, {"hello Worker (floor)", o.sizes + "/hello.wasm"}} {
		raw, err := os.ReadFile(w.file)
		if err != nil {
			return err
		}
		br, err := os.ReadFile(w.file + ".br")
		if err != nil {
			return fmt.Errorf("%w (make bench-worker writes it)", err)
		}
		fmt.Printf("    %-28s %10d %12d\n", w.name, len(raw), len(br))
	}
	return nil
}

// coldStart measures, for the Worker and the hello Worker: workerd started
// until GET / is answered (median of o.starts), and GET / answered by a
// running workerd (median and p90 of o.requests; each is a fresh Go instance).
func coldStart(o options) error {
	fmt.Println("\nW2  cold start (ms)               first answer after start (median)   one request (median / p90)")
	for _, w := range []struct{ name, dir string }{{"the Worker", o.dir}, {"hello Worker (floor)", o.hello}} {
		var firsts, each []float64
		for i := 0; i < o.starts; i++ {
			t0 := time.Now()
			p, err := workerd.Start(workerd.Options{Dir: w.dir, Workerd: o.workerd, State: filepath.Join(os.TempDir(), "workerbench-state"),
				Address: "127.0.0.1:0", TokenKey: "workerbench TOKEN_KEY, thirty-two characters at least"})
			if err != nil {
				return err
			}
			res, err := http.Get(p.URL + "/")
			if err == nil {
				res.Body.Close()
				firsts = append(firsts, ms(time.Since(t0)))
			}
			if i == 0 {
				for j := 0; j < o.requests; j++ {
					t1 := time.Now()
					res, err := http.Get(p.URL + "/")
					if err != nil {
						break
					}
					res.Body.Close()
					each = append(each, ms(time.Since(t1)))
				}
			}
			p.Stop()
			if err != nil {
				return err
			}
		}
		fmt.Printf("    %-28s %10.0f %28.1f / %.1f\n", w.name, median(firsts), median(each), quantile(each, 0.9))
	}
	return nil
}

// portal is one emulated portal with the app installed on a running Worker.
type portal struct {
	p   *devportal.Portal
	srv *httptest.Server
}

func startPortal(cfg devportal.Config, secret string) *portal {
	cfg.ClientSecret = secret
	p := devportal.New(cfg)
	return &portal{p: p, srv: httptest.NewServer(p.Handler())}
}

func (pt *portal) install(worker string) error { return installApp(pt.srv.URL, worker+"/events") }

// installApp has the portal at portalURL send ONAPPINSTALL to handler, and says
// whether the Worker took it.
func installApp(portalURL, handler string) error {
	res, err := http.PostForm(portalURL+"/devportal/install", url.Values{"handler": {handler}})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var out struct{ Status int }
	_ = json.NewDecoder(res.Body).Decode(&out)
	if out.Status != 200 {
		return fmt.Errorf("install: the Worker answered %d", out.Status)
	}
	return nil
}

// job hands the Worker a job of n pairs from first on, due at.
func (pt *portal) job(worker string, user, first, n int, at time.Time) error {
	tok := pt.p.IssueTokenAs(user)
	pairs := make([][]any, n)
	for i := range pairs {
		pairs[i] = []any{"chat" + strconv.Itoa(first+i), 1}
	}
	b, _ := json.Marshal(map[string]any{"memberId": pt.p.MemberID(), "accessToken": tok.Access, "refreshToken": tok.Refresh,
		"pairs": pairs, "at": at.UnixMilli()})
	res, err := http.Post(worker+"/api/jobs", "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 201 {
		var e map[string]any
		_ = json.NewDecoder(res.Body).Decode(&e)
		return fmt.Errorf("job refused: %d %v", res.StatusCode, e)
	}
	return nil
}

// waitMarked waits until the portal holds n marks or limit passes; it returns when.
func (pt *portal) waitMarked(n int, limit time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if len(pt.p.Unread()) >= n {
			return time.Now(), true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Now(), false
}

// allowed is the least time the portal's bucket lets requests requests through: the
// burst at once, the rest at the drain rate.
func allowed(requests int) time.Duration {
	over := requests - devportal.DefaultBurst
	if over <= 0 {
		return 0
	}
	return time.Duration(float64(over) / devportal.DefaultRate * float64(time.Second))
}

func startWorker(o options, oauth, secret string) (*workerd.Process, error) {
	return startWorkerAt(o, "127.0.0.1:0", oauth, secret)
}

// startWorkerAt starts the Worker listening on addr, on a fresh state.
func startWorkerAt(o options, addr, oauth, secret string) (*workerd.Process, error) {
	state, err := os.MkdirTemp("", "workerbench-")
	if err != nil {
		return nil, err
	}
	return workerd.Start(workerd.Options{Dir: o.dir, Workerd: o.workerd, State: state, Address: addr,
		ClientID: devportal.DefaultClientID, ClientSecret: secret, OAuthURL: oauth,
		TokenKey: "workerbench TOKEN_KEY, thirty-two characters at least"})
}

func sameMinute(o options) error {
	const secret = "workerbench-secret"
	pt := startPortal(devportal.Config{}, secret)
	defer pt.srv.Close()
	w, err := startWorker(o, pt.srv.URL, secret)
	if err != nil {
		return err
	}
	defer w.Stop()
	if err := pt.install(w.URL); err != nil {
		return err
	}
	total := o.users * o.perUser
	// Due once the bucket has drained what handing the jobs over spent (profile).
	at := time.Now().Add(15 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, o.users)
	for u := 0; u < o.users; u++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pt.job(w.URL, u+10, u*o.perUser, o.perUser, at); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	before := pt.p.Stats()
	time.Sleep(time.Until(at))
	done, ok := pt.waitMarked(total, 10*time.Minute)
	wall := done.Sub(at)
	st := pt.p.Stats()
	requests := st.Requests - before.Requests
	floor := allowed(int(math.Ceil(float64(total) / 50)))
	fmt.Printf("\nW3  %d marks from %d users due at the same time, one portal (bucket %d/s, burst %d)\n", total, o.users, devportal.DefaultRate, devportal.DefaultBurst)
	fmt.Printf("    all marked: %v (%d of %d)   wall %.1f s   the bucket allows %.1f s for %d batches: %.2f×\n",
		ok, len(pt.p.Unread()), total, wall.Seconds(), floor.Seconds(), int(math.Ceil(float64(total)/50)),
		wall.Seconds()/math.Max(floor.Seconds(), 0.001))
	fmt.Printf("    requests %d (%.1f s allowed for that many)   503s %d   429s %d\n",
		requests, allowed(requests).Seconds(), st.Status503-before.Status503, st.Status429-before.Status429)
	return nil
}

func threePortals(o options) error {
	const secret = "workerbench-secret"
	// One OAuth server is enough: nothing here refreshes.
	pts := make([]*portal, o.portals)
	for i := range pts {
		pts[i] = startPortal(devportal.Config{}, secret)
		defer pts[i].srv.Close()
	}
	w, err := startWorker(o, pts[0].srv.URL, secret)
	if err != nil {
		return err
	}
	defer w.Stop()
	for _, pt := range pts {
		if err := pt.install(w.URL); err != nil {
			return err
		}
	}
	at := time.Now().Add(3 * time.Second)
	for _, pt := range pts {
		if err := pt.job(w.URL, 2, 0, o.perPortal, at); err != nil {
			return err
		}
	}
	time.Sleep(time.Until(at))
	walls := make([]time.Duration, len(pts))
	oks := make([]bool, len(pts))
	var wg sync.WaitGroup
	for i, pt := range pts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done, ok := pt.waitMarked(o.perPortal, 10*time.Minute)
			walls[i], oks[i] = done.Sub(at), ok
		}()
	}
	wg.Wait()
	batches := int(math.Ceil(float64(o.perPortal) / 50))
	floor := allowed(batches)
	fmt.Printf("\nW4  %d portals at once, %d marks each (each its own bucket %d/s, burst %d: %.1f s allowed for %d batches)\n",
		len(pts), o.perPortal, devportal.DefaultRate, devportal.DefaultBurst, floor.Seconds(), batches)
	for i, pt := range pts {
		st := pt.p.Stats()
		fmt.Printf("    portal %d: all marked %v   wall %.1f s (%.2f×)   requests %d   503s %d\n",
			i+1, oks[i], walls[i].Seconds(), walls[i].Seconds()/math.Max(floor.Seconds(), 0.001), st.Requests, st.Status503)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(v []float64) float64 { return quantile(v, 0.5) }

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(math.Min(float64(len(s)-1), math.Floor(q*float64(len(s)))))]
}
