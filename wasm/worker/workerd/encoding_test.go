//go:build !js

package workerd

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// Whatever a browser accepts, the module arrives either as the .br exactly as built,
// under one Content-Encoding: br, or as the .wasm itself with none: never compressed
// twice, never decoded and still labelled br. Local workerd passes the .br on when the
// request names br first (as Cloudflare's edge does, "br, gzip"), and decodes it for
// Chromium's own "gzip, deflate, br, zstd" (docs/worker.md).
func TestTheModuleIsCompressedOnceOrNotAtAllWhateverTheBrowserAccepts(t *testing.T) {
	e := start(t, devportal.Config{})
	br, err := os.ReadFile(filepath.Join(e.opts.Dir, "assets/dist/markunread.wasm.br"))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(e.opts.Dir, "assets/dist/markunread.wasm"))
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // the body as it came
	for _, accept := range []string{"gzip, deflate, br, zstd", "gzip, deflate, br", "br, gzip", "br", "gzip", "identity", ""} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, e.w.URL+"/dist/markunread.wasm", nil)
			if accept != "" {
				req.Header.Set("Accept-Encoding", accept)
			}
			res, err := client.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			what := method + " with Accept-Encoding " + strconv.Quote(accept)
			assert.Equal(t, 200, res.StatusCode, what)
			assert.Equal(t, "application/wasm", res.Header.Get("Content-Type"), what)
			assert.Empty(t, res.Header.Get("X-Markunread-Encoded"), what)
			want := raw
			if enc := res.Header.Values("Content-Encoding"); len(enc) > 0 {
				assert.Equal(t, []string{"br"}, enc, "%s: one Content-Encoding, br", what)
				want = br
			}
			if method == http.MethodHead {
				assert.Empty(t, body, what)
				continue
			}
			assert.True(t, bytes.Equal(want, body), "%s: %d bytes, want the %d of the file as built", what, len(body), len(want))
			if cl := res.Header.Get("Content-Length"); cl != "" {
				assert.Equal(t, strconv.Itoa(len(body)), cl, what)
			}
		}
	}
	for _, accept := range []string{"br, gzip", "br"} {
		req, _ := http.NewRequest(http.MethodGet, e.w.URL+"/dist/markunread.wasm", nil)
		req.Header.Set("Accept-Encoding", accept)
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, []string{"br"}, res.Header.Values("Content-Encoding"), "%q: the .br goes out compressed", accept)
	}
}
