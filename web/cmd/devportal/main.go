// Command devportal runs the local Bitrix24 portal emulator (package web/devportal):
// the portal origin (REST endpoint, parent page, control endpoints) and, on a different
// origin, the app origin serving -app-dir at / and -dist at /dist/.
//
//	devportal [flags]               serve until SIGINT/SIGTERM; prints the URL to open
//	devportal [flags] -- cmd args   serve, run cmd with MARKUNREAD_PORTAL_URL,
//	                                MARKUNREAD_APP_URL and MARKUNREAD_TOKEN in its
//	                                environment, exit with its exit code
//
// It keeps serving when whatever started it exits (a script that backgrounds it, a
// terminal's job): an emulator that vanished with its starter would look like a
// portal that refuses connections. -follow-parent asks for the opposite, for make
// run and the test targets: stop, saying so on stderr, once the parent has exited.
//
// With -app-proxy URL the app origin is a running dev server (vite, ...) instead of
// -app-dir: the emulator answers the portal's launch POST with the dev server's page and
// passes everything else on, WebSocket upgrades included (see devportal.AppProxy).
//
// Listen addresses may use port 0 for a free port. In exec mode the URL is printed on
// stderr so the command's stdout stays its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/markunread/markunread/web/devportal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// The parent is read first: one that exits while the flags are parsed is still
	// the one that started the emulator.
	parent := os.Getppid()
	fs := flag.NewFlagSet("devportal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: devportal [flags]              serve the portal and the app until Ctrl-C
       devportal [flags] -- CMD ARGS  serve, run CMD against it, exit with its code

flags:
`)
		fs.PrintDefaults()
	}
	portalAddr := fs.String("portal", "127.0.0.1:8080", "portal origin listen address (host:port; port 0 = free port)")
	appAddr := fs.String("app", "localhost:8081", "app origin listen address; must be a different origin from -portal")
	appDir := fs.String("app-dir", "web/app", "directory served at / on the app origin")
	distDir := fs.String("dist", "dist", "directory served at /dist/ on the app origin")
	appProxy := fs.String("app-proxy", "", "serve the app origin from this running dev server instead of -app-dir (e.g. http://localhost:5173 for vite)")
	// Left at 0, the plan (-license) decides the bucket; flag prints no default for 0.
	rate := fs.Float64("rate", 0, fmt.Sprintf("leaky bucket drain per second (default %v, or %v on an enterprise -license)", devportal.DefaultRate, devportal.EnterpriseRate))
	burst := fs.Int("burst", 0, fmt.Sprintf("leaky bucket size (default %d, or %d on an enterprise -license)", devportal.DefaultBurst, devportal.EnterpriseBurst))
	prefill := fs.Float64("prefill", 0, "bucket counter at start")
	var otherApp devportal.OtherApp
	fs.Func("other-app", "another app spending the same bucket (same portal and source address) from the start, as a `spec`: N/s is steady at N requests a second (e.g. 1.5/s), N/DURATION is bursts of N at once every DURATION (e.g. 10/5s); its requests are counted apart (otherRequests ... in /devportal/state)",
		func(v string) (err error) { otherApp, err = devportal.ParseOtherApp(v); return err })
	tokenLifetime := fs.Duration("token-lifetime", devportal.DefaultTokenLifetime, "access token lifetime")
	opBudget := fs.Duration("operating-budget", devportal.DefaultOperatingBudget, "per-method operating-time budget in the window")
	commandCost := fs.Duration("command-cost", 0, "simulated execution time per command (0 = measured)")
	faultRate := fs.Float64("faults", 0, "probability of a fault per REST request")
	faultSeed := fs.Int64("fault-seed", 1, "seed of the fault generator")
	faultKinds := fs.String("fault-kinds", "", "comma list of fault kinds (default all of: "+strings.Join(devportal.FaultKinds, ",")+"; also "+strings.Join(devportal.OptInFaultKinds, ",")+" when named)")
	license := fs.String("license", devportal.DefaultLicense, "app.info LICENSE, <lang>_<plan>; an ent* plan (e.g. ru_ent250) gets the 5/250 bucket")
	selfHosted := fs.Bool("self-hosted", false, "a self-hosted portal: no operating time in answers, no operating-time limit")
	movedTo := fs.String("moved-to", "", "a renamed portal: every REST call answers 302 to this base URL")
	latency := fs.Duration("latency", 0, "delay of every REST answer (the bucket counts requests on arrival)")
	requestCap := fs.Duration("request-cap", devportal.DefaultRequestCap, "longest a REST request may take; later answers are cut with 504")
	corsOn503 := fs.Bool("cors-on-503", true, "send the CORS headers on 503 QUERY_LIMIT_EXCEEDED")
	clientID := fs.String("client-id", devportal.DefaultClientID, "the app's OAuth client id, checked by the token endpoint /oauth/token/")
	clientSecret := fs.String("client-secret", "", "the app's OAuth client secret (default: random)")
	eventHandler := fs.String("event-handler", "", "where the app's install and uninstall events go (default: the app origin's /events)")
	blocks := blockFlag{}
	fs.Var(blocks, "block", "METHOD=DURATION: the method answers OPERATION_TIME_LIMIT for that long from start (repeatable)")
	followParent := fs.Bool("follow-parent", false, "stop when the process that started the emulator exits (make run does this)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *followParent {
		var orphaned context.CancelCauseFunc
		ctx, orphaned = context.WithCancelCause(ctx)
		go watchParent(ctx, parent, time.Second, func() {
			orphaned(fmt.Errorf("devportal: stopping: the process that started it (pid %d) has exited, and -follow-parent asks to stop with it", parent))
		})
	}
	var kinds []string
	if *faultKinds != "" {
		for k := range strings.SplitSeq(*faultKinds, ",") {
			k = strings.TrimSpace(k)
			if !slices.Contains(devportal.FaultKinds, k) && !slices.Contains(devportal.OptInFaultKinds, k) {
				fmt.Fprintf(stderr, "devportal: unknown fault kind %q\n", k)
				return 2
			}
			kinds = append(kinds, k)
		}
	}

	var proxyTarget *url.URL
	if *appProxy != "" {
		u, err := url.Parse(*appProxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintf(stderr, "devportal: -app-proxy %q: want a dev server's URL, such as http://localhost:5173\n", *appProxy)
			return 2
		}
		proxyTarget = u
	} else {
		// The defaults are a checkout's folders: elsewhere they are not there,
		// and the app origin's 404s would not say why.
		for _, d := range []struct{ flag, dir, what string }{{"-app-dir", *appDir, "/"}, {"-dist", *distDir, "/dist/"}} {
			if fi, err := os.Stat(d.dir); err != nil || !fi.IsDir() {
				fmt.Fprintf(stderr, "devportal: %s %s: no such folder here, so the app origin answers 404 at %s (give %s, or -app-proxy URL for a running dev server)\n", d.flag, d.dir, d.what, d.flag)
			}
		}
	}

	pl, err := net.Listen("tcp", *portalAddr)
	if err != nil {
		fmt.Fprintln(stderr, "devportal:", err)
		return 1
	}
	al, err := net.Listen("tcp", *appAddr)
	if err != nil {
		pl.Close()
		fmt.Fprintln(stderr, "devportal:", err)
		return 1
	}
	portalURL := baseURL(*portalAddr, pl.Addr())
	appURL := baseURL(*appAddr, al.Addr())
	if portalURL == appURL {
		fmt.Fprintln(stderr, "devportal: -portal and -app must be different origins")
		pl.Close()
		al.Close()
		return 2
	}

	portal := devportal.New(devportal.Config{
		Rate:            *rate,
		Burst:           *burst,
		Prefill:         *prefill,
		OtherApp:        otherApp,
		OperatingBudget: *opBudget,
		CommandCost:     *commandCost,
		TokenLifetime:   *tokenLifetime,
		AppURL:          appURL + "/",
		Faults:          devportal.Faults{Rate: *faultRate, Seed: *faultSeed, Kinds: kinds},
		License:         *license,
		SelfHosted:      *selfHosted,
		MovedTo:         *movedTo,
		Latency:         *latency,
		RequestCap:      *requestCap,
		NoCORSOn503:     !*corsOn503,
		Blocks:          blocks,
		ClientID:        *clientID,
		ClientSecret:    *clientSecret,
		EventHandler:    *eventHandler,
	})
	// Open event streams (the parent page's live view) end when the servers shut down.
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	base := func(net.Listener) context.Context { return streams }
	appHandler := devportal.AppHandler(*appDir, *distDir)
	if proxyTarget != nil {
		appHandler = devportal.AppProxy(proxyTarget)
	}
	ps := &http.Server{Handler: portal.Handler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: base}
	as := &http.Server{Handler: appHandler, ReadHeaderTimeout: 10 * time.Second, BaseContext: base}
	ps.RegisterOnShutdown(endStreams)
	serveErr := make(chan error, 2)
	go func() { serveErr <- ps.Serve(pl) }()
	go func() { serveErr <- as.Serve(al) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = ps.Shutdown(sctx)
		_ = as.Shutdown(sctx)
	}()

	cmdArgs := fs.Args()
	openURL := portalURL + "/?page=/"
	if len(cmdArgs) == 0 {
		if proxyTarget != nil {
			fmt.Fprintf(stdout, "devportal: portal %s  app %s -> %s\nopen %s\n", portalURL, appURL, proxyTarget, openURL)
		} else {
			fmt.Fprintf(stdout, "devportal: portal %s  app %s\nopen %s\n", portalURL, appURL, openURL)
		}
		select {
		case <-ctx.Done():
			sayWhyStopped(ctx, stderr)
			return 0
		case err := <-serveErr:
			fmt.Fprintln(stderr, "devportal:", err)
			return 1
		}
	}

	fmt.Fprintf(stderr, "devportal: portal %s  app %s  open %s\n", portalURL, appURL, openURL)
	tok := portal.IssueToken()
	cmd := exec.CommandContext(ctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Env = append(os.Environ(),
		"MARKUNREAD_PORTAL_URL="+portalURL,
		"MARKUNREAD_APP_URL="+appURL,
		"MARKUNREAD_TOKEN="+tok.Access,
	)
	cmd.Stdin = os.Stdin
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	sayWhyStopped(ctx, stderr)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exitErr.ExitCode()
	default:
		fmt.Fprintln(stderr, "devportal:", err)
		return 127
	}
}

// sayWhyStopped prints the cause of a stop that no signal explains: the parent that
// -follow-parent follows has exited.
func sayWhyStopped(ctx context.Context, stderr io.Writer) {
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil && cause != ctx.Err() {
		fmt.Fprintln(stderr, cause)
	}
}

// watchParent calls orphaned when parent is no longer the process's parent (it
// exited, and the process was handed to init or a subreaper): with -follow-parent the
// emulator does not outlive make run when make is killed.
func watchParent(ctx context.Context, parent int, every time.Duration, orphaned func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != parent {
				orphaned()
				return
			}
		}
	}
}

// baseURL is http://host:port for a listener: the host as given in the flag (so
// "localhost" stays a distinct origin from "127.0.0.1"), 127.0.0.1 when it was empty or a
// wildcard, and the actual port.
func baseURL(flagAddr string, addr net.Addr) string {
	host, _, _ := net.SplitHostPort(flagAddr)
	_, port, _ := net.SplitHostPort(addr.String())
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// blockFlag collects -block METHOD=DURATION flags.
type blockFlag map[string]time.Duration

func (b blockFlag) String() string {
	var parts []string
	for m, d := range b {
		parts = append(parts, m+"="+d.String())
	}
	return strings.Join(parts, ",")
}

func (b blockFlag) Set(v string) error {
	m, ds, ok := strings.Cut(v, "=")
	if !ok || m == "" {
		return errors.New("want METHOD=DURATION, e.g. im.dialog.unread=65s")
	}
	d, err := time.ParseDuration(ds)
	if err != nil {
		return err
	}
	b[m] = d
	return nil
}
