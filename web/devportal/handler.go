package devportal

import "net/http"

// Handler serves the portal origin: /rest/ (the REST endpoint), /devportal/ (control
// endpoints) and / (the parent page hosting the app).
func (p *Portal) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/rest/", p.serveREST)
	mux.HandleFunc("/devportal/", p.serveControl)
	mux.HandleFunc("/{$}", p.serveParent)
	return mux
}
