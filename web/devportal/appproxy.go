package devportal

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// maxLaunchForm bounds the body read to recognise the portal's launch form.
const maxLaunchForm = 64 << 10

// AppProxy serves the app origin from a running dev server at target (for example
// http://localhost:5173 for `vite`), so the page the portal hosts is the one being edited,
// hot reload included:
//
//   - The portal's launch form POST (a form body with AUTH_ID) is answered by the
//     emulator itself: it GETs the same path and query from the dev server, which
//     answers POST with 404 or not at all. The form fields are not passed on; the app
//     gets its token through the parent page's postMessage protocol, as in a real portal.
//   - Everything else (GET, HEAD, other POSTs, WebSocket upgrades such as Vite's HMR
//     channel) goes to the dev server as it came, with the dev server's own Host.
//   - A dev server that does not answer gives 502 with what to start.
func AppProxy(target *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
		},
		FlushInterval: -1, // event streams and HMR pings pass at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, fmt.Sprintf("devportal: the dev server at %s did not answer %s %s: %v\n"+
				"Start it first (for Vite: npx vite --port %s --strictPort), or leave out -app-proxy.",
				target, r.Method, r.URL.Path, err, target.Port()), http.StatusBadGateway)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && isLaunchForm(r) {
			r.Method = http.MethodGet
			r.Body = http.NoBody
			r.ContentLength = 0
			r.Header.Del("Content-Type")
			r.Header.Del("Content-Length")
			r.Header.Del("Origin")
		}
		rp.ServeHTTP(w, r)
	})
}

// isLaunchForm reports whether r is the portal's launch form POST: a form body with an
// AUTH_ID field. It reads the body and puts it back for a request that is not.
func isLaunchForm(r *http.Request) bool {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLaunchForm+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil || len(body) > maxLaunchForm {
		return false
	}
	form, err := url.ParseQuery(string(body))
	return err == nil && form.Has("AUTH_ID")
}
