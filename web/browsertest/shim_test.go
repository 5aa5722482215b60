package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

func TestShimLoadsWasmServedWithWrongMIMEAndWarns(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	_, frames := e.openPortal("/t/badmime.html", 1, 60*time.Second)
	fr := frames[0]
	harnessReady(t, fr)

	// The server really sent the wrong type.
	hs := e.appResp.headers("/badmime/dist/markunread.wasm")
	require.NotEmpty(t, hs, "the page did not fetch the .wasm beside the shim")
	for _, h := range hs {
		assert.Equal(t, "application/octet-stream", h.Get("Content-Type"))
	}

	res := runMarks(t, fr, 2, 40, 0)
	assert.Equal(t, 2, res.OK, "%+v", res.Failed)
	assert.Len(t, e.portal.Unread(), 2)

	warnings := fr.console.matching(func(c consoleEntry) bool {
		return c.Kind == "console" && c.Level == "warning" && strings.Contains(c.Text, "application/wasm")
	})
	require.Len(t, warnings, 1, "console: %v", fr.console.all())
	assert.Contains(t, warnings[0].Text, "markunread.wasm")
	assert.Contains(t, warnings[0].Text, `"application/octet-stream"`)
	assert.Contains(t, warnings[0].Text, "serve .wasm files as application/wasm")
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the console")
}
