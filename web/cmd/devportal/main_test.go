package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/markunread/markunread/web/internal/syncbuffer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain doubles as the child command of the exec-mode tests: with
// DEVPORTAL_TEST_CHILD set, the test binary marks a dialog unread through the portal
// named in its environment, fetches the app page, prints what it saw and exits 7.
func TestMain(m *testing.M) {
	if os.Getenv("DEVPORTAL_TEST_CHILD") == "1" {
		os.Exit(child())
	}
	if os.Getenv("DEVPORTAL_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

func child() int {
	portal, app, token := os.Getenv("MARKUNREAD_PORTAL_URL"), os.Getenv("MARKUNREAD_APP_URL"), os.Getenv("MARKUNREAD_TOKEN")
	resp, err := http.PostForm(portal+"/rest/im.dialog.unread", url.Values{"auth": {token}, "DIALOG_ID": {"chat29"}, "MESSAGE_ID": {"12"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("rest %d %s\n", resp.StatusCode, bytes.TrimSpace(body))
	resp, err = http.Post(app+"/", "application/x-www-form-urlencoded", strings.NewReader("AUTH_ID=x"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("app %d %s\n", resp.StatusCode, body)
	resp, err = http.Get(portal + "/devportal/state")
	if err != nil {
		return 1
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("state %s\n", bytes.TrimSpace(body))
	fmt.Fprintln(os.Stderr, "child stderr")
	return 7
}

func TestExecModeRunsTheCommandAgainstAFreshPortal(t *testing.T) {
	appDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(appDir, "index.html"), []byte("<p>app</p>"), 0o644))
	t.Setenv("DEVPORTAL_TEST_CHILD", "1")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, []string{"-portal", "127.0.0.1:0", "-app", "localhost:0", "-app-dir", appDir, "-dist", t.TempDir(), "--", os.Args[0]}, &stdout, &stderr)
	assert.Equal(t, 7, code, "exit code passed through; stderr: %s", stderr.String())
	out := stdout.String()
	assert.Contains(t, out, `rest 200 {"result":true`)
	assert.Contains(t, out, "app 200 <p>app</p>")
	assert.Contains(t, out, `state {"unread":{"chat29":12}`)
	assert.NotContains(t, out, "open http", "exec mode keeps stdout for the command")
	assert.Contains(t, stderr.String(), "child stderr")
	assert.Contains(t, stderr.String(), "open http://127.0.0.1:")
}

func TestExecModeTokenHasTheConfiguredLifetime(t *testing.T) {
	t.Setenv("DEVPORTAL_TEST_CHILD", "1")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-portal", "127.0.0.1:0", "-app", "127.0.0.1:0", "-token-lifetime", "1ns", "--", os.Args[0]}, &stdout, &stderr)
	assert.Equal(t, 7, code, stderr.String())
	assert.Contains(t, stdout.String(), `rest 401 {"error":"expired_token"`)
}

func TestExecModeBlockAndSelfHostedFlags(t *testing.T) {
	t.Setenv("DEVPORTAL_TEST_CHILD", "1")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-portal", "127.0.0.1:0", "-app", "127.0.0.1:0", "-block", "im.dialog.unread=65s", "-license", "ru_ent250", "--", os.Args[0]}, &stdout, &stderr)
	assert.Equal(t, 7, code, stderr.String())
	assert.Contains(t, stdout.String(), `rest 429 {"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`+"\n")

	stdout.Reset()
	code = run(context.Background(), []string{"-portal", "127.0.0.1:0", "-app", "127.0.0.1:0", "-self-hosted", "-latency", "10ms", "--", os.Args[0]}, &stdout, &stderr)
	assert.Equal(t, 7, code, stderr.String())
	assert.Contains(t, stdout.String(), `rest 200 {"result":true`)
	assert.NotContains(t, stdout.String(), `operating`)
}

func TestOtherAppFlagSpendsTheBucket(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuffer.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-portal", "127.0.0.1:0", "-app", "localhost:0", "-prefill", "50", "-other-app", "10/1s"}, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "open http://127.0.0.1:") }, 5*time.Second, 10*time.Millisecond)
	line := stdout.String()
	portal := line[strings.Index(line, "portal ")+7:]
	portal = portal[:strings.IndexByte(portal, ' ')]
	time.Sleep(1200 * time.Millisecond) // the first burst is at 1 s
	resp, err := http.PostForm(portal+"/rest/im.dialog.unread", url.Values{"DIALOG_ID": {"chat1"}, "MESSAGE_ID": {"1"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a full bucket, and a burst of 10 at 1 s took the 2 rooms drained by then")
	resp, err = http.Get(portal + "/devportal/state")
	require.NoError(t, err)
	var state struct {
		Stats map[string]int `json:"stats"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&state))
	resp.Body.Close()
	assert.Equal(t, 1, state.Stats["requests"])
	assert.Equal(t, 1, state.Stats["status503"])
	assert.GreaterOrEqual(t, state.Stats["otherRequests"], 10)
	assert.GreaterOrEqual(t, state.Stats["other503"], 8)
	cancel()
	assert.Equal(t, 0, <-done)
}

func TestExecModeMissingCommandIs127(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-portal", "127.0.0.1:0", "-app", "127.0.0.1:0", "--", "/nonexistent/command"}, &stdout, &stderr)
	assert.Equal(t, 127, code)
}

func TestServeModePrintsURLAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncbuffer.Buffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"-portal", "127.0.0.1:0", "-app", "localhost:0"}, &stdout, &stderr) }()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "open http://127.0.0.1:") }, 5*time.Second, 10*time.Millisecond)
	line := stdout.String()
	u := strings.TrimSpace(line[strings.Index(line, "open ")+5:])
	resp, err := http.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-fault-kinds", "html500,bogus"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "bogus")
	assert.Equal(t, 2, run(context.Background(), []string{"-nope"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"-block", "im.dialog.unread"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"-block", "im.dialog.unread=soon"}, &stdout, &stderr))
	stderr.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"-other-app", "fast"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "e.g. 1.5/s")
}

// startUnderShell starts the emulator from a shell that waits for it, as `go run`, make
// or a script does, and returns the shell, the emulator's pid, its URL to open, and its
// stderr (read to its end once the emulator has exited).
func startUnderShell(t *testing.T, flags string) (sh *exec.Cmd, pid int, open string, stderr *syncbuffer.Buffer) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	sh = exec.Command("sh", "-c", `"$0" -portal 127.0.0.1:0 -app 127.0.0.1:0 `+flags+` & echo $!; wait`, os.Args[0])
	sh.Env = append(os.Environ(), "DEVPORTAL_TEST_MAIN=1")
	out, err := sh.StdoutPipe()
	require.NoError(t, err)
	// Not StderrPipe: Wait closes that when the shell exits, and the emulator's stderr
	// is read after that.
	errPipe, errWrite, err := os.Pipe()
	require.NoError(t, err)
	sh.Stderr = errWrite
	require.NoError(t, sh.Start())
	errWrite.Close()
	stderr = &syncbuffer.Buffer{}
	stderrDone := make(chan struct{})
	go func() { _, _ = io.Copy(stderr, errPipe); errPipe.Close(); close(stderrDone) }()
	lines := bufio.NewReader(out)
	line, err := lines.ReadString('\n')
	require.NoError(t, err)
	pid, err = strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	for !strings.HasPrefix(line, "open http") { // serving, so it has noted its parent
		line, err = lines.ReadString('\n')
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		if processAlive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = sh.Process.Kill()
		_ = sh.Wait()
		<-stderrDone
	})
	return sh, pid, strings.TrimSpace(strings.TrimPrefix(line, "open ")), stderr
}

func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses; Z is exited, not yet reaped.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

func TestEmulatorWithFollowParentStopsWhenItsParentDiesAndSaysWhy(t *testing.T) {
	// The shell is killed with SIGKILL, so it cannot pass anything on.
	sh, pid, _, stderr := startUnderShell(t, "-follow-parent")
	require.True(t, processAlive(pid), "the emulator started")
	shPid := sh.Process.Pid
	require.NoError(t, sh.Process.Kill())
	_ = sh.Wait()
	assert.Eventually(t, func() bool { return !processAlive(pid) }, 5*time.Second, 50*time.Millisecond,
		"the emulator (pid %d) outlived its parent", pid)
	assert.Eventually(t, func() bool {
		return strings.Contains(stderr.String(), fmt.Sprintf("devportal: stopping: the process that started it (pid %d) has exited, and -follow-parent asks to stop with it", shPid))
	}, 5*time.Second, 50*time.Millisecond, "stderr: %s", stderr.String())
}

func TestEmulatorStaysUpWhenItsStarterExits(t *testing.T) {
	sh, pid, open, stderr := startUnderShell(t, "")
	require.NoError(t, sh.Process.Kill())
	_ = sh.Wait()
	// Longer than a few of the parent checks -follow-parent would make.
	time.Sleep(3 * time.Second)
	require.True(t, processAlive(pid), "the emulator (pid %d) stopped with its starter; stderr: %s", pid, stderr.String())
	resp, err := http.Get(open)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, stderr.String(), "stopping")
}

func TestHelpPrintsTheUsageAndEachDefaultOnce(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &stdout, &stderr))
	help := stderr.String()
	assert.Contains(t, help, "usage: devportal [flags]")
	assert.Contains(t, help, "devportal [flags] -- CMD ARGS")
	assert.Contains(t, help, "leaky bucket drain per second (default 2, or 5 on an enterprise -license)\n")
	assert.Contains(t, help, "leaky bucket size (default 50, or 250 on an enterprise -license)\n")
	assert.Contains(t, help, "-follow-parent")
	for _, line := range strings.Split(help, "\n") {
		assert.LessOrEqual(t, strings.Count(line, "(default"), 1, "a default said twice: %q", line)
	}
}

func TestEnterpriseLicenseStillGetsItsBucketWithoutRateFlags(t *testing.T) {
	t.Setenv("DEVPORTAL_TEST_CHILD", "1")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-portal", "127.0.0.1:0", "-app", "127.0.0.1:0", "-license", "ru_ent250", "-prefill", "200", "--", os.Args[0]}, &stdout, &stderr)
	assert.Equal(t, 7, code, stderr.String())
	// 200 of 250 used: a standard bucket of 50 would refuse the mark.
	assert.Contains(t, stdout.String(), `rest 200 {"result":true`)
}

func TestWatchParentNoticesANewParent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	orphaned := make(chan struct{})
	go watchParent(ctx, -1, time.Millisecond, func() { close(orphaned) }) // -1 is nobody's pid
	select {
	case <-orphaned:
	case <-ctx.Done():
		t.Fatal("watchParent did not notice")
	}
}

func TestBadAppProxyIsAUsageError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-app-proxy", "localhost:5173"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "want a dev server's URL, such as http://localhost:5173")
}

func TestAppProxyFlagPutsTheDevServerOnTheAppOrigin(t *testing.T) {
	dev := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "dev server: %s %s", r.Method, r.URL.Path)
	}))
	defer dev.Close()
	t.Setenv("DEVPORTAL_TEST_CHILD", "1")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-portal", "127.0.0.1:0", "-app", "localhost:0", "-app-proxy", dev.URL, "--", os.Args[0]}, &stdout, &stderr)
	assert.Equal(t, 7, code, stderr.String())
	// The child POSTs a launch form (AUTH_ID=x) to the app origin's "/".
	assert.Contains(t, stdout.String(), "app 200 dev server: GET /")
}

func TestMissingAppFoldersAreNamedAtStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncbuffer.Buffer
	done := make(chan int)
	missing := filepath.Join(t.TempDir(), "nowhere")
	go func() {
		done <- run(ctx, []string{"-portal", "127.0.0.1:0", "-app", "localhost:0", "-app-dir", missing, "-dist", t.TempDir()}, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "open http") }, 5*time.Second, 10*time.Millisecond)
	cancel()
	<-done
	assert.Contains(t, stderr.String(), "devportal: -app-dir "+missing+": no such folder here, so the app origin answers 404 at / (give -app-dir, or -app-proxy URL for a running dev server)")
	assert.NotContains(t, stderr.String(), "-dist", "the -dist folder is there")
}

// The npm launcher (web/npm/markunread-devportal) lists a binary package for
// each platform make package builds, and no other.
func TestNpmLauncherListsThePlatformsThatArePacked(t *testing.T) {
	makefile, err := os.ReadFile("../../../Makefile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^DEVPORTAL_PLATFORMS \?= (.+)$`).FindSubmatch(makefile)
	require.NotNil(t, m, "Makefile: DEVPORTAL_PLATFORMS ?= ...")
	built := strings.Fields(string(m[1]))
	manifest, err := os.ReadFile("../../npm/markunread-devportal/package.json")
	require.NoError(t, err)
	var pkg struct{ OptionalDependencies map[string]string }
	require.NoError(t, json.Unmarshal(manifest, &pkg))
	var listed []string
	for name, version := range pkg.OptionalDependencies {
		listed = append(listed, strings.TrimPrefix(name, "markunread-devportal-"))
		assert.Equal(t, "@VERSION@", version, "%s: make package writes the version", name)
	}
	assert.ElementsMatch(t, built, listed)
}
