package browsertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/markunread/markunread/web/internal/syncbuffer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// npmPlatform is this machine as npm names platforms (process.platform-process.arch).
func npmPlatform() string {
	cpu := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	os := map[string]string{"windows": "win32"}[runtime.GOOS]
	if os == "" {
		os = runtime.GOOS
	}
	return os + "-" + cpu
}

// emulatorTarballs are the packed packages an app installs to run the
// emulator: the module's, the launcher's and this machine's binary, as
// `make package` leaves them in bin/.
func emulatorTarballs(t *testing.T) []string {
	t.Helper()
	version := readPackageVersion(t)
	var files []string
	for _, name := range []string{"markunread", "markunread-devportal", "markunread-devportal-" + npmPlatform()} {
		f, err := filepath.Abs(filepath.Join(binDir, name+"-"+version+".tgz"))
		require.NoError(t, err)
		if _, err := os.Stat(f); err != nil {
			msg := "bin/" + filepath.Base(f) + " is missing: run `make package-module package-devportal package-devportal-" + npmPlatform() + "` (or make package)"
			if strictEnv {
				t.Fatal("MARKUNREAD_BROWSER_TESTS=1 but " + msg)
			}
			t.Skip(msg)
		}
		files = append(files, f)
	}
	return files
}

func readPackageVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../js/package.json")
	require.NoError(t, err)
	var pkg struct{ Version string }
	require.NoError(t, json.Unmarshal(b, &pkg))
	return pkg.Version
}

// withoutGo is the environment with every PATH folder that holds a go
// command left out: what the app's folder runs must not need it.
func withoutGo() []string {
	var keep []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			continue
		}
		keep = append(keep, dir)
	}
	env := []string{"PATH=" + strings.Join(keep, string(os.PathListSeparator))}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "GO") {
			env = append(env, kv)
		}
	}
	return env
}

// offlineNpm keeps npm off the network: offline, and 127.0.0.1:9 (discard)
// as the registry, so that going online would fail rather than fetch.
var offlineNpm = []string{"npm_config_offline=true", "npm_config_registry=http://127.0.0.1:9/"}

// startInGroup starts cmd in a process group of its own and stops the whole
// group when the test ends (npx runs the launcher through a shell, which runs
// the emulator).
func startInGroup(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
}

// startEmulatorFromNpm runs `npx markunread-devportal ARGS` in dir and returns
// the portal's and the app origin's URLs it printed.
func startEmulatorFromNpm(t *testing.T, dir string, args ...string) (portal, app string, stderr *syncbuffer.Buffer) {
	t.Helper()
	// As the README writes it; npm's own settings go in its environment, since
	// options before the command's name change how npx splits the arguments.
	cmd := exec.Command("npx", append([]string{"markunread-devportal"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(withoutGo(), offlineNpm...)
	stderr = &syncbuffer.Buffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	startInGroup(t, cmd)
	// Lines past the first few are dropped, not waited for: the emulator
	// never blocks on its stdout.
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "npx markunread-devportal ended before it served; stderr: %s", stderr.String())
			// devportal: portal http://127.0.0.1:P  app http://localhost:Q [-> dev server]
			if f := strings.Fields(line); len(f) >= 5 && f[0] == "devportal:" && f[1] == "portal" && f[3] == "app" {
				portal, app = f[2], f[4]
			}
			if strings.HasPrefix(line, "open http") {
				return portal, app, stderr
			}
		case <-timeout:
			t.Fatalf("npx markunread-devportal printed no URL in 30 s; stderr: %s", stderr.String())
		}
	}
}

// TestEmulatorFromTheNpmPackagesRunsTheDevLoopWithoutGo is an app developer's
// folder with no checkout and no Go: the packed packages installed by npm
// offline (from the tarball files, an empty cache, no registry), the app's
// Vite dev server, and `npx markunread-devportal -app-proxy` putting it in
// the portal, where it marks in Chromium. Without -app-proxy the same
// install serves the demo app and the module's files from node_modules.
func TestEmulatorFromTheNpmPackagesRunsTheDevLoopWithoutGo(t *testing.T) {
	needVite(t)
	tarballs := emulatorTarballs(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "an-app", "private": true, "type": "module"}`), 0o644))
	for _, f := range []string{"index.html", "main.js"} {
		b, err := os.ReadFile(filepath.Join(viteApp, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	install := exec.Command("npm", append([]string{"install", "--offline", "--cache", t.TempDir(),
		"--no-audit", "--no-fund", "--loglevel=warn"}, tarballs...)...)
	install.Dir = dir
	install.Env = append(withoutGo(), offlineNpm...)
	msg, err := install.CombinedOutput()
	require.NoError(t, err, "npm install --offline: %s", msg)
	platforms, err := filepath.Glob(filepath.Join(dir, "node_modules", "markunread-devportal-*"))
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, "node_modules", "markunread-devportal-"+npmPlatform())}, platforms,
		"npm installed this machine's binary package and no other")

	// The app's dev server: the fixture's pinned Vite, serving this folder.
	vite, err := filepath.Abs(filepath.Join(viteApp, "node_modules/.bin/vite"))
	require.NoError(t, err)
	port := freePort(t)
	var devLog bytes.Buffer
	dev := exec.Command(vite, "--host", "127.0.0.1", "--port", port, "--strictPort", "--clearScreen", "false")
	dev.Dir = dir
	dev.Env = withoutGo()
	dev.Stdout, dev.Stderr = &devLog, &devLog
	startInGroup(t, dev)
	require.True(t, serving("http://127.0.0.1:"+port+"/"), "vite did not answer: %s", devLog.String())

	portalURL, appURL, stderr := startEmulatorFromNpm(t, dir, "-portal", "127.0.0.1:0", "-app", "localhost:0", "-app-proxy", "http://127.0.0.1:"+port)
	e := &env{t: t, portalURL: portalURL, appURL: appURL}
	tab := newTab(t, 90*time.Second)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(portalURL+"/?page=/")))
	fr := e.appFrames(tab, 1)[0]
	require.Equal(t, "Ready.", waitText(t, fr.ctx, "#status", func(s string) bool { return s != "Loading…" }, 30*time.Second))
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(`#mark button`)))
	assert.Equal(t, "true", waitText(t, fr.ctx, "#result", func(s string) bool { return s != "—" }, 20*time.Second))
	var state struct{ Unread map[string]int64 }
	getJSON(t, portalURL+"/devportal/state", &state)
	assert.Equal(t, map[string]int64{"chat42": 7}, state.Unread, "the emulator's record")
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the app's console")
	assert.NotContains(t, stderr.String(), "no such folder", "-app-proxy needs no folders")

	// No -app-proxy: the demo at /, and the installed module at /dist/.
	_, demoURL, stderr := startEmulatorFromNpm(t, dir, "-portal", "127.0.0.1:0", "-app", "localhost:0")
	resp, err := http.PostForm(demoURL+"/", url.Values{"AUTH_ID": {"x"}})
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), "<h1>Mark unread</h1>", "the demo app answers the launch POST")
	resp, err = http.Get(demoURL + "/dist/markunread.wasm")
	require.NoError(t, err)
	wasm, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	installed, err := os.ReadFile(filepath.Join(dir, "node_modules", "markunread", "markunread.wasm"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(installed, wasm), "/dist/ serves the module the app installed")
	assert.NotContains(t, stderr.String(), "no such folder")
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// TestEmulatorLauncherNamesAMissingPlatformPackage installs the launcher with
// optional dependencies left out: it says which package to install, instead
// of failing to spawn.
func TestEmulatorLauncherNamesAMissingPlatformPackage(t *testing.T) {
	tarballs := emulatorTarballs(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "an-app", "private": true}`), 0o644))
	install := exec.Command("npm", "install", "--offline", "--cache", t.TempDir(), "--no-audit", "--no-fund", "--loglevel=error", tarballs[0], tarballs[1])
	install.Dir = dir
	install.Env = append(withoutGo(), offlineNpm...)
	msg, err := install.CombinedOutput()
	require.NoError(t, err, "npm install --offline: %s", msg)
	run := exec.Command("npx", "markunread-devportal", "-portal", "127.0.0.1:0", "-app", "localhost:0")
	run.Dir = dir
	run.Env = append(withoutGo(), offlineNpm...)
	out, err := run.CombinedOutput()
	require.Error(t, err, "npx markunread-devportal ran without its binary: %s", out)
	pkg := "markunread-devportal-" + npmPlatform()
	assert.Contains(t, string(out), "markunread-devportal: "+pkg+", the emulator's binary for this machine, is not installed.")
	assert.Contains(t, string(out), "npm install "+pkg+"@"+readPackageVersion(t))
}
