// Command worker-local is make worker: the emulated portal (web/devportal) and the
// app's Worker under workerd beside it, the app installed on the portal. It prints
// two lines, "open URL" (the portal's page hosting the app, served by the Worker) and
// "app URL" (the Worker's own address, the app's handler), and runs until SIGINT.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/markunread/markunread/wasm/worker/workerd"
	"github.com/markunread/markunread/web/devportal"
)

func main() {
	dir := flag.String("dir", "bin/worker", "make worker-build's output")
	bin := flag.String("workerd", "wasm/cmd/markunread-worker/node_modules/.bin/workerd", "the workerd binary")
	portalAddr := flag.String("portal", "127.0.0.1:8080", "the emulated portal's listen address")
	appAddr := flag.String("app", "localhost:8787", "the Worker's listen address")
	flag.Parse()
	if err := run(*dir, *bin, *portalAddr, *appAddr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(dir, bin, portalAddr, appAddr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pl, err := net.Listen("tcp", portalAddr)
	if err != nil {
		return err
	}
	portalURL := "http://" + pl.Addr().String()
	appURL := "http://" + appAddr
	secret := randomHex(20)
	portal := devportal.New(devportal.Config{AppURL: appURL + "/", EventHandler: appURL + "/events", ClientSecret: secret})
	srv := &http.Server{Handler: portal.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(pl) }()
	defer srv.Close()

	w, err := workerd.Start(workerd.Options{
		Dir: dir, Workerd: bin, State: filepath.Join(dir, "state"), Address: appAddr,
		ClientID: devportal.DefaultClientID, ClientSecret: secret, TokenKey: randomHex(32), OAuthURL: portalURL,
		Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	res, err := http.PostForm(portalURL+"/devportal/install", url.Values{})
	if err != nil {
		return err
	}
	var installed struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	}
	_ = json.NewDecoder(res.Body).Decode(&installed)
	res.Body.Close()
	if installed.Status != http.StatusOK {
		return fmt.Errorf("the Worker did not take the install event: HTTP %d %s", installed.Status, installed.Error)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "open %s/?page=/\napp %s/\n", portalURL, appURL)
	_, _ = os.Stdout.Write(b.Bytes())
	<-ctx.Done()
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
