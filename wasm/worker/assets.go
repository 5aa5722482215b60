package worker

import (
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/markunread/markunread/wasm/acceptencoding"
)

// ContentSecurityPolicy is the app page's policy: its own scripts, the module compiled
// with 'wasm-unsafe-eval' (no 'unsafe-eval'), REST calls to any https portal (and a
// loopback emulator), and framing by a portal only.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self'; connect-src 'self' https: http://127.0.0.1:* http://localhost:*; " +
	"img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"frame-ancestors https: http://127.0.0.1:* http://localhost:*; base-uri 'none'; form-action 'self'"

// EncodedHeader marks an answer whose body is already compressed, for the JS entry to
// send as it is (Response's encodeBody: "manual"): the runtime would otherwise compress
// it a second time. The entry removes the header.
const EncodedHeader = "X-Markunread-Encoded"

// ServerTimingName is the Server-Timing entry of every page the Worker serves.
const ServerTimingName = "markunread-worker"

// Cache lifetimes: a URL with the build's ?v= never changes; anything else is checked
// again each time (its ETag makes that a 304).
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// serveAsset answers GET and HEAD for a static file: "/" and ".../" are their
// index.html; dot-segments are not served. A .wasm with a .br beside it is sent as the
// .br with Content-Encoding: br when the request accepts br.
func (f *Front) serveAsset(w http.ResponseWriter, r *http.Request, asPage bool) {
	name, ok := assetName(r.URL.Path, asPage)
	if !ok {
		writeError(w, apiErr(http.StatusNotFound, CodeNotFound, "no such file"))
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	a, encoding, err := f.fetchAsset(name, r, h)
	if err != nil {
		writeError(w, apiErr(http.StatusBadGateway, CodeInternal, "the asset store did not answer"))
		return
	}
	if a.Status != http.StatusOK {
		writeError(w, apiErr(http.StatusNotFound, CodeNotFound, "no such file: "+name))
		return
	}
	setTypeAndPolicy(h, name)
	if f.cacheHeaders(h, r, encoding) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
		h.Set(EncodedHeader, encoding)
	}
	h.Set("Content-Length", strconv.Itoa(len(a.Body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.Body)
	}
}

// assetName is the file a path names ("/" and ".../" are their index.html, and so is
// a page's path without an extension); false: a dot-segment, not served.
func assetName(urlPath string, asPage bool) (string, bool) {
	name := path.Clean("/" + urlPath)
	if strings.HasSuffix(urlPath, "/") || asPage && path.Ext(name) == "" {
		name = path.Join(name, "index.html")
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return name, true
}

// fetchAsset gets the file from the asset store: for a .wasm, the .br beside it when
// the request accepts br and there is one (encoding "br"), else the file itself.
func (f *Front) fetchAsset(name string, r *http.Request, h http.Header) (Asset, string, error) {
	fetch, encoding := name, ""
	if path.Ext(name) == ".wasm" {
		h.Set("Vary", "Accept-Encoding")
		if acceptencoding.Allows(r.Header.Get("Accept-Encoding"), "br") {
			fetch, encoding = name+".br", "br"
		}
	}
	a, err := f.Assets.Get(fetch)
	if err == nil && a.Status != http.StatusOK && encoding != "" {
		encoding = "" // no .br beside it: the file itself
		a, err = f.Assets.Get(name)
	}
	return a, encoding, err
}

// setTypeAndPolicy sets the file's Content-Type, and for a page its policies.
func setTypeAndPolicy(h http.Header, name string) {
	h.Set("Content-Type", contentType(name))
	if path.Ext(name) == ".html" {
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		// Tells the page that the app's Worker served it (the page reads its own
		// navigation entry's serverTiming), so it offers what needs the Worker.
		h.Set("Server-Timing", ServerTimingName)
	}
}

// cacheHeaders sets Cache-Control, and with a build id the ETag (one per encoding);
// true: the request already has this version (If-None-Match), and gets a 304.
func (f *Front) cacheHeaders(h http.Header, r *http.Request, encoding string) bool {
	if f.Settings.BuildID == "" {
		h.Set("Cache-Control", cacheRevalidate)
		return false
	}
	etag := `"` + f.Settings.BuildID + encoding + `"`
	h.Set("ETag", etag)
	if r.URL.Query().Get("v") == f.Settings.BuildID {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	return r.Method != http.MethodPost && r.Header.Get("If-None-Match") == etag
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ts", ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
