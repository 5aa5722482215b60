package devportal

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// protocolHarness runs the parent page's script under Node with a minimal fake DOM: one
// iframe whose contentWindow records what the page posts to it, and fetch forwarded to a
// real portal. It plays app messages at the page and prints the replies as JSON.
const protocolHarness = `
const PORTAL = process.env.PORTAL;
const listeners = [];
const sent = [];
const frameWin = { postMessage: (data, origin) => sent.push({ data, origin }) };
const otherWin = { postMessage: (data) => sent.push({ data, origin: 'WRONG WINDOW' }) };
const iframe = { contentWindow: frameWin, style: {}, clientWidth: 640, clientHeight: 480 };
// The box as a layout would draw it: "100%" of a 640 px column, pixels as set.
iframe.getBoundingClientRect = () => ({
  width: iframe.style.width === '100%' ? 640 : parseInt(iframe.style.width, 10),
  height: parseInt(iframe.style.height, 10) || 480,
});
const title = { textContent: 'Application' };
globalThis.window = { addEventListener: (type, fn) => { if (type === 'message') listeners.push(fn); } };
globalThis.document = {
  querySelector: (sel) => (sel.startsWith('iframe') ? iframe : title),
  querySelectorAll: () => [],
  getElementById: () => ({}),
};
const realFetch = globalThis.fetch;
globalThis.fetch = (u, o) => realFetch(PORTAL + u, o);
globalThis.setInterval = () => 0;
globalThis.EventSource = class { addEventListener() {} };
(0, eval)(require('fs').readFileSync(process.env.SCRIPT, 'utf8'));

const FR = JSON.parse(process.env.FRAME);
const sid = FR.sid, appOrigin = FR.origin;
async function post(data, origin = appOrigin, source = frameWin) {
  for (const l of listeners) await l({ data, origin, source });
  await new Promise((r) => setTimeout(r, 0));
}
(async () => {
  const out = {};
  const take = () => sent.splice(0);
  await post('getInitData:k1:' + sid);
  out.init = take();
  await post('getInitData:k2:' + sid, 'http://evil.example');
  await post('getInitData:k3:wrongsid');
  await post('getInitData:k4:' + sid, appOrigin, otherWin);
  out.refused = take();
  await post('setTitle:{"title":"a:b:c"}:k5:' + sid);
  out.setTitle = take();
  out.title = title.textContent;
  await Promise.all([post('refreshAuth:r1:' + sid), post('refreshAuth:r2:' + sid)]);
  out.refresh = take();
  await post({ method: 'getInitData', params: '', callback: 'k6', appSid: sid });
  out.objectForm = take();
  await post('fitWindow:k7:' + sid);
  out.other = take();
  // BX24.fitWindow() / the SDK's parent.fitWindow(): width "100%" and the page's height.
  await post('resizeWindow:{"width":"100%","height":761}:k8:' + sid);
  out.fit = take().concat([{ data: iframe.style.width + ' ' + iframe.style.height, origin: 'style' }]);
  await post({ method: 'resizeWindow', params: { width: 300.7, height: '500' }, callback: 'k9', appSid: sid });
  out.resize = take().concat([{ data: iframe.style.width + ' ' + iframe.style.height, origin: 'style' }]);
  await post('resizeWindow:{"width":"wide","height":"tall"}:k10:' + sid);
  out.unreadable = take().concat([{ data: iframe.style.width + ' ' + iframe.style.height, origin: 'style' }]);
  console.log(JSON.stringify(out));
})();
`

func TestParentPageSpeaksThePostMessageProtocol(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	p := New(Config{AppURL: "http://localhost:8081/"})
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	page := readAll(t, resp)
	script := regexp.MustCompile(`(?s)<script>(.*)</script>`).FindStringSubmatch(page)
	require.NotNil(t, script)
	sid := regexp.MustCompile(`data-sid="([0-9a-f]+)"`).FindStringSubmatch(page)[1]

	dir := t.TempDir()
	scriptPath := filepath.Join(dir, "parent.js")
	require.NoError(t, os.WriteFile(scriptPath, []byte(script[1]), 0o644))
	harness := filepath.Join(dir, "harness.cjs")
	require.NoError(t, os.WriteFile(harness, []byte(protocolHarness), 0o644))
	frame, _ := json.Marshal(map[string]string{"sid": sid, "origin": "http://localhost:8081"})
	cmd := exec.Command(node, harness)
	cmd.Env = append(os.Environ(), "PORTAL="+srv.URL, "SCRIPT="+scriptPath, "FRAME="+string(frame))
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.Output()
	require.NoError(t, err, "node: %s", out)

	type msg struct{ Data, Origin string }
	var res struct {
		Init, Refused, SetTitle, Refresh, ObjectForm, Other []msg
		Fit, Resize, Unreadable                             []msg
		Title                                               string
	}
	require.NoError(t, json.Unmarshal(out, &res), string(out))

	require.Len(t, res.Init, 1)
	assert.Equal(t, "http://localhost:8081", res.Init[0].Origin)
	require.Regexp(t, `^k1:\{`, res.Init[0].Data)
	var init map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Init[0].Data[3:]), &init))
	for _, k := range []string{"AUTH_ID", "REFRESH_ID", "AUTH_EXPIRES", "DOMAIN", "PROTOCOL", "LANG", "MEMBER_ID", "PLACEMENT", "PLACEMENT_OPTIONS", "IS_ADMIN", "INSTALL", "FIRST_RUN", "USER_OPTIONS", "APP_OPTIONS"} {
		assert.Contains(t, init, k)
	}
	assert.Equal(t, srv.Listener.Addr().String(), init["DOMAIN"])
	assert.Equal(t, 3600.0, init["AUTH_EXPIRES"])
	assert.Equal(t, false, init["IS_ADMIN"])

	assert.Empty(t, res.Refused, "wrong origin, wrong APP_SID and foreign windows get no answer")
	assert.Equal(t, []msg{{"k5:{}", "http://localhost:8081"}}, res.SetTitle)
	assert.Equal(t, "a:b:c", res.Title, "params containing ':' survive")

	require.Len(t, res.Refresh, 2, "concurrent refreshAuth calls both succeed")
	seen := map[string]bool{}
	for _, m := range res.Refresh {
		var a map[string]any
		require.NoError(t, json.Unmarshal([]byte(m.Data[3:]), &a), m.Data)
		require.NotEmpty(t, a["AUTH_ID"])
		require.NotEmpty(t, a["REFRESH_ID"])
		assert.Equal(t, 3600.0, a["AUTH_EXPIRES"])
		seen[a["AUTH_ID"].(string)] = true
	}
	assert.Len(t, seen, 2)
	require.Len(t, res.ObjectForm, 1)
	assert.Regexp(t, `^k6:\{.*"AUTH_ID":"[0-9a-f]+"`, res.ObjectForm[0].Data)
	assert.Equal(t, []msg{{"k7:{}", "http://localhost:8081"}}, res.Other)

	// resizeWindow sets the frame's size as the portal does and answers with it.
	assert.Equal(t, []msg{{`k8:{"width":640,"height":761}`, "http://localhost:8081"}, {"100% 761px", "style"}}, res.Fit)
	assert.Equal(t, []msg{{`k9:{"width":300,"height":500}`, "http://localhost:8081"}, {"300px 500px", "style"}}, res.Resize)
	assert.Equal(t, []msg{{`k10:{"width":100,"height":500}`, "http://localhost:8081"}, {"100px 500px", "style"}}, res.Unreadable,
		"an unreadable width is 100 px, an unreadable height leaves the height as it was")
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return string(b)
}
