package devportal

import (
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/markunread/markunread/wasm/acceptencoding"
)

// AppHandler serves the app origin: appDir at / and distDir at /dist/.
//
//   - GET, HEAD and POST all serve the file (the portal loads the app with a form POST);
//     a directory serves its index.html.
//   - .wasm is application/wasm, .js/.mjs text/javascript.
//   - If X.br or X.gz exists beside X and Accept-Encoding allows it, that file is served
//     with Content-Encoding (br preferred); Vary: Accept-Encoding is set whenever a
//     variant exists.
//   - ?csp=strict on an HTML page adds Content-Security-Policy:
//     script-src 'self' 'wasm-unsafe-eval'.
//   - Cache-Control: no-store (a dev server). Dot-files are not served.
func AppHandler(appDir, distDir string) http.Handler {
	return &appHandler{app: appDir, dist: distDir}
}

type appHandler struct{ app, dist string }

func (h *appHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	root, rel := h.app, path.Clean("/"+r.URL.Path)
	if rel == "/dist" || strings.HasPrefix(rel, "/dist/") {
		root, rel = h.dist, strings.TrimPrefix(rel, "/dist")
	}
	rel = strings.TrimPrefix(rel, "/")
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, ".") {
			http.NotFound(w, r)
			return
		}
	}
	fsys, err := os.OpenRoot(root)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer fsys.Close()
	rfs := fsys.FS()
	if rel == "" {
		rel = "."
	}
	if st, err := fs.Stat(rfs, rel); err == nil && st.IsDir() {
		rel = path.Join(rel, "index.html")
	}
	st, err := fs.Stat(rfs, rel)
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", contentType(rel))
	if path.Ext(rel) == ".html" && r.URL.Query().Get("csp") == "strict" {
		hdr.Set("Content-Security-Policy", "script-src 'self' 'wasm-unsafe-eval'")
	}
	serve := rel
	variants := false
	for _, v := range []struct{ enc, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if s, err := fs.Stat(rfs, rel+v.ext); err == nil && !s.IsDir() {
			variants = true
			if serve == rel && acceptencoding.Allows(r.Header.Get("Accept-Encoding"), v.enc) {
				serve = rel + v.ext
				hdr.Set("Content-Encoding", v.enc)
			}
		}
	}
	if variants {
		hdr.Add("Vary", "Accept-Encoding")
	}
	f, err := rfs.Open(serve)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fst, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// ServeContent honours Range and conditional GETs; it writes the body for POST too.
	http.ServeContent(w, r, serve, fst.ModTime(), f.(readSeeker))
}

type readSeeker interface {
	Read([]byte) (int, error)
	Seek(int64, int) (int64, error)
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
	case ".ts":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}
