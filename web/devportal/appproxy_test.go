package devportal

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// devServer is a stand-in for `vite`: it answers GET with the path it was asked for,
// refuses POST with 404 (as vite and vite preview do), and accepts a WebSocket
// upgrade on /hmr, then echoes one line.
type devServer struct {
	mu   sync.Mutex
	seen []string // "METHOD path?query host"
}

func (d *devServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.seen = append(d.seen, r.Method+" "+r.URL.RequestURI()+" "+r.Host)
	d.mu.Unlock()
	if r.URL.Path == "/hmr" && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		line, _ := rw.ReadString('\n')
		_, _ = rw.WriteString("echo " + line)
		_ = rw.Flush()
		return
	}
	if r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	_, _ = io.WriteString(w, "<p>dev page "+r.URL.Path+"</p>")
}

func (d *devServer) requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

func newProxyPair(t *testing.T) (*devServer, *httptest.Server, *url.URL) {
	dev := &devServer{}
	devSrv := httptest.NewServer(dev)
	t.Cleanup(devSrv.Close)
	target, err := url.Parse(devSrv.URL)
	require.NoError(t, err)
	app := httptest.NewServer(AppProxy(target))
	t.Cleanup(app.Close)
	return dev, app, target
}

func TestAppProxyAnswersThePortalsLaunchPOSTWithTheDevServersPage(t *testing.T) {
	dev, app, target := newProxyPair(t)
	form := url.Values{"AUTH_ID": {"secret-token"}, "REFRESH_ID": {"r"}, "member_id": {"m"}}
	resp, err := http.Post(app.URL+"/index.html?DOMAIN=x&APP_SID=1", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "<p>dev page /index.html</p>", string(body))
	assert.Equal(t, []string{"GET /index.html?DOMAIN=x&APP_SID=1 " + target.Host}, dev.requests(),
		"the dev server saw a GET of the same path and query, with its own Host")

	// Other requests pass as they are: a GET, and a POST that is not the launch form.
	resp, err = http.Get(app.URL + "/src/main.js")
	require.NoError(t, err)
	resp.Body.Close()
	resp, err = http.Post(app.URL+"/api/save", "application/json", strings.NewReader(`{"a":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the dev server's own answer to a POST")
	assert.Equal(t, []string{"GET /src/main.js " + target.Host, "POST /api/save " + target.Host}, dev.requests()[1:])
}

func TestAppProxyPassesWebSocketUpgradesForHotReload(t *testing.T) {
	_, app, _ := newProxyPair(t)
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(app.URL, "http://"), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = io.WriteString(conn, "GET /hmr HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	_, err = io.WriteString(conn, "ping\n")
	require.NoError(t, err)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "echo ping\n", line, "bytes flow both ways through the upgraded connection")
}

func TestAppProxySaysWhatToStartWhenTheDevServerIsDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target, _ := url.Parse("http://" + l.Addr().String())
	l.Close() // nothing listens there now
	app := httptest.NewServer(AppProxy(target))
	defer app.Close()
	resp, err := http.Get(app.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Contains(t, string(body), "the dev server at "+target.String()+" did not answer")
	assert.Contains(t, string(body), "npx vite --port "+target.Port())
}
