package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/markunread/markunread/wasm/worker/workerd"
	"github.com/markunread/markunread/web/chromium"
	"github.com/markunread/markunread/web/devportal"
)

// W5: a background job that goes on after the tab closed. In headless Chromium the
// emulator's portal page hosts the demo, served by the Worker, in its iframe; the
// demo's page hands o.background pairs to the Worker with later().markLater (no time:
// now), and the tab is closed as soon as the Worker has taken the job. The row then
// counts from the emulator's side (its messenger) until every pair is marked, as the
// portal's launching user. The portal is an Enterprise one (LICENSE en_ent250, bucket
// 5/s, burst 250), so 20,000 marks take half a minute, not three.

// backgroundLicense is the emulated portal's plan in W5.
const backgroundLicense = "en_ent250"

// handOver is the script the demo's frame runs: the page API's markLater with n
// pairs chat1..chatN at message 1, resolving to the job as the Worker answered.
const handOver = `import('/dist/markunread.js').then(async ({ later }) => {
  const pairs = Array.from({ length: %d }, (_, i) => ['chat' + (i + 1), 1]);
  const job = await later().markLater(pairs);
  return JSON.stringify({ id: job.id, total: job.total, state: job.state });
})`

// backgroundEnv is W5's pieces: the emulated portal, the Worker and the browser.
type backgroundEnv struct {
	portal    *devportal.Portal
	portalURL string
	worker    *workerd.Process
	browser   context.Context
	closers   []func()
}

func (e *backgroundEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// startBackground starts the portal (its address first: the Worker's OAuth server is
// on it), the Worker on localhost (another site than the portal's 127.0.0.1, so the
// app's iframe is its own target), installs the app, and starts Chromium.
func startBackground(o options) (*backgroundEnv, error) {
	const secret = "workerbench-secret"
	e := &backgroundEnv{}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.portalURL = "http://" + pl.Addr().String()
	w, err := startWorkerAt(o, "localhost:0", e.portalURL, secret)
	if err != nil {
		pl.Close()
		return nil, err
	}
	e.worker = w
	e.closers = append(e.closers, w.Stop)
	e.portal = devportal.New(devportal.Config{License: backgroundLicense, ClientSecret: secret,
		AppURL: w.URL + "/", EventHandler: w.URL + "/events"})
	srv := &http.Server{Handler: e.portal.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(pl) }()
	e.closers = append(e.closers, func() { _ = srv.Close() })
	if err := installApp(e.portalURL, w.URL+"/events"); err != nil {
		e.close()
		return nil, err
	}
	if err := e.startBrowser(o); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *backgroundEnv) startBrowser(o options) error {
	bin := o.chromium
	if bin == "" {
		p, err := exec.LookPath("chromium")
		if err != nil {
			return errors.New("W5 needs chromium: make chromium installs it (or pass -chromium)")
		}
		bin = p
	}
	profile, err := os.MkdirTemp("", "workerbench-chromium-")
	if err != nil {
		return err
	}
	e.closers = append(e.closers, func() { os.RemoveAll(profile) })
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromium.Headless(bin, profile)...)
	e.closers = append(e.closers, cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	e.closers = append(e.closers, cancelBrowser)
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("starting chromium: %w", err)
	}
	e.browser = browser
	return nil
}

// handOverInTab opens the portal's page in a new tab, waits for the demo in its
// iframe to be ready, has it hand n pairs to the Worker, and closes the tab. It
// returns the Worker's answer and when the job was taken.
func (e *backgroundEnv) handOverInTab(n int) (string, time.Time, error) {
	tab, closeTab := chromedp.NewContext(e.browser)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(e.portalURL+"/?page=/")); err != nil {
		return "", time.Time{}, err
	}
	frame, err := e.appFrame(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	defer frame.cancel()
	ready := `document.getElementById('laterStatus')?.textContent.includes("Jobs run in the app's Worker")`
	if _, err := chromedp.Run(frame.ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		return "", time.Time{}, fmt.Errorf("the demo's page API did not get ready: %w", err)
	}
	answer, err := chromedp.Run(frame.ctx, chromedp.Evaluate[string](fmt.Sprintf(handOver, n), chromedp.EvalAwaitPromise))
	taken := time.Now()
	if err != nil {
		return "", taken, fmt.Errorf("markLater: %w", err)
	}
	// Closing the tab: the page, its module and its connections end here.
	if err := chromedp.Cancel(tab); err != nil {
		return answer, taken, fmt.Errorf("closing the tab: %w", err)
	}
	return answer, taken, e.tabsGone()
}

// tabsGone checks that the browser has no page or frame of the portal or the Worker
// left open.
func (e *backgroundEnv) tabsGone() error {
	infos, err := chromedp.Targets(e.browser)
	if err != nil {
		return err
	}
	for _, info := range infos {
		if strings.HasPrefix(info.URL, e.portalURL) || strings.HasPrefix(info.URL, e.worker.URL) {
			return fmt.Errorf("a %s of %s is still open after the tab closed", info.Type, info.URL)
		}
	}
	return nil
}

type attached struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// appFrame attaches to the app's iframe (an out-of-process frame: the Worker's site).
func (e *backgroundEnv) appFrame(tab context.Context) (*attached, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(tab)
		if err != nil {
			return nil, err
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, e.worker.URL+"/") {
				ctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				return &attached{ctx, cancel}, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("no iframe of %s in the portal's page", e.worker.URL)
}

func background(o options) error {
	e, err := startBackground(o)
	if err != nil {
		return err
	}
	defer e.close()
	before := e.portal.Stats()
	answer, taken, err := e.handOverInTab(o.background)
	if err != nil {
		return err
	}
	atClose := e.portal.Messenger(1).Total
	var done time.Time
	ok := false
	for deadline := taken.Add(15 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if e.portal.Messenger(1).Total >= o.background {
			done, ok = time.Now(), true
			break
		}
	}
	if !ok {
		done = time.Now()
	}
	return e.report(o, answer, taken, done, atClose, before)
}

func (e *backgroundEnv) report(o options, answer string, taken, done time.Time, atClose int, before devportal.Stats) error {
	view := e.portal.Messenger(0)
	asUser := 0
	for _, d := range view.Dialogs {
		if d.MarkedBy == devportal.DefaultUser {
			asUser++
		}
	}
	st := e.portal.Stats()
	requests := st.Requests - before.Requests
	batches := int(math.Ceil(float64(o.background) / 50))
	floor := allowedOn(batches, devportal.EnterpriseRate, devportal.EnterpriseBurst)
	wall := done.Sub(taken)
	fmt.Printf("\nW5  a background job of %d marks handed over by a page in Chromium, its tab closed once the Worker took it\n", o.background)
	fmt.Printf("    (portal %s: bucket %d/s, burst %d; the Worker answered %s)\n", backgroundLicense, devportal.EnterpriseRate, devportal.EnterpriseBurst, answer)
	fmt.Printf("    all marked: %v (%d of %d in the messenger, %d as the launching user; %d when the tab closed)\n",
		view.Total >= o.background, view.Total, o.background, asUser, atClose)
	fmt.Printf("    wall %.1f s from the job taken   the bucket allows %.1f s for %d batches: %.2f×\n",
		wall.Seconds(), floor.Seconds(), batches, wall.Seconds()/math.Max(floor.Seconds(), 0.001))
	fmt.Printf("    requests %d (%.1f s allowed for that many)   503s %d   429s %d\n", requests,
		allowedOn(requests, devportal.EnterpriseRate, devportal.EnterpriseBurst).Seconds(),
		st.Status503-before.Status503, st.Status429-before.Status429)
	return nil
}

// allowedOn is allowed for a bucket of burst draining at rate per second.
func allowedOn(requests int, rate float64, burst int) time.Duration {
	over := requests - burst
	if over <= 0 {
		return 0
	}
	return time.Duration(float64(over) / rate * float64(time.Second))
}
