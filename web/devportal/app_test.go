package devportal

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func appFixture(t *testing.T) http.Handler {
	t.Helper()
	app, dist := t.TempDir(), t.TempDir()
	write := func(dir, name, body string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write(app, "index.html", "<h1>app</h1>")
	write(app, "sub/index.html", "<h1>sub</h1>")
	write(app, ".secret", "no")
	write(dist, "markunread.wasm", "WASM")
	write(dist, "markunread.wasm.br", "BR")
	write(dist, "markunread.wasm.gz", "GZ")
	write(dist, "markunread.js", "export {}")
	write(dist, "wasm_exec.js", "// go")
	write(dist, "wasm_exec.js.gz", "GZJS")
	return AppHandler(app, dist)
}

func get(h http.Handler, method, target, acceptEncoding string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if acceptEncoding != "" {
		r.Header.Set("Accept-Encoding", acceptEncoding)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestAppServesIndexForGETAndPOST(t *testing.T) {
	h := appFixture(t)
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		w := get(h, m, "/?DOMAIN=x&APP_SID=y", "")
		assert.Equal(t, http.StatusOK, w.Code, m)
		assert.Equal(t, "<h1>app</h1>", w.Body.String())
		assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	}
	assert.Equal(t, "<h1>sub</h1>", get(h, http.MethodPost, "/sub/", "").Body.String())
	assert.Equal(t, http.StatusMethodNotAllowed, get(h, http.MethodDelete, "/", "").Code)
}

func TestAppServesDistWithMIMETypes(t *testing.T) {
	h := appFixture(t)
	w := get(h, http.MethodGet, "/dist/markunread.wasm", "")
	assert.Equal(t, "application/wasm", w.Header().Get("Content-Type"))
	assert.Equal(t, "WASM", w.Body.String())
	assert.Empty(t, w.Header().Get("Content-Encoding"))
	assert.Equal(t, "Accept-Encoding", w.Header().Get("Vary"))
	w = get(h, http.MethodGet, "/dist/markunread.js", "")
	assert.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript"))
	assert.Empty(t, w.Header().Get("Vary"), "no variants, no Vary")
}

func TestAppServesPrecompressedVariants(t *testing.T) {
	h := appFixture(t)
	cases := []struct{ accept, enc, body string }{
		{"gzip, deflate, br", "br", "BR"},
		{"gzip", "gzip", "GZ"},
		{"br;q=0, gzip;q=0.5", "gzip", "GZ"},
		{"*", "br", "BR"},
		{"identity", "", "WASM"},
		{"", "", "WASM"},
	}
	for _, c := range cases {
		w := get(h, http.MethodGet, "/dist/markunread.wasm", c.accept)
		assert.Equal(t, c.enc, w.Header().Get("Content-Encoding"), c.accept)
		assert.Equal(t, c.body, w.Body.String(), c.accept)
		assert.Equal(t, "application/wasm", w.Header().Get("Content-Type"), c.accept)
		assert.Equal(t, "Accept-Encoding", w.Header().Get("Vary"))
	}
	w := get(h, http.MethodGet, "/dist/wasm_exec.js", "br, gzip")
	assert.Equal(t, "gzip", w.Header().Get("Content-Encoding"))
	assert.Equal(t, "GZJS", w.Body.String())
}

func TestAppStrictCSPOnRequest(t *testing.T) {
	h := appFixture(t)
	assert.Equal(t, "script-src 'self' 'wasm-unsafe-eval'", get(h, http.MethodPost, "/?csp=strict", "").Header().Get("Content-Security-Policy"))
	assert.Empty(t, get(h, http.MethodGet, "/", "").Header().Get("Content-Security-Policy"))
}

func TestAppRefusesMissingDotAndEscapingPaths(t *testing.T) {
	h := appFixture(t)
	assert.Equal(t, http.StatusNotFound, get(h, http.MethodGet, "/nope.html", "").Code)
	assert.Equal(t, http.StatusNotFound, get(h, http.MethodGet, "/.secret", "").Code)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.URL.Path = "/../../etc/passwd"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusNotFound, w.Code)
}
