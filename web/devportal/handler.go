package devportal

import (
	_ "embed"
	"net/http"
)

// Handler serves the portal origin: /rest/ (the REST endpoint), /devportal/ (control
// endpoints), / (the parent page hosting the app) and its icon.
func (p *Portal) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/rest/", p.serveREST)
	mux.HandleFunc("/devportal/", p.serveControl)
	mux.HandleFunc("/oauth/token/", p.serveOAuthToken) // the OAuth server's, on this origin (install.go)
	mux.HandleFunc("/{$}", p.serveParent)
	mux.HandleFunc("GET /favicon.svg", serveFavicon)
	mux.HandleFunc("GET /favicon.ico", serveFavicon) // what a browser asks for without a <link rel=icon>
	return mux
}

//go:embed favicon.svg
var favicon []byte

func serveFavicon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "max-age=86400")
	_, _ = w.Write(favicon)
}
