// Package acceptencoding reads a request's Accept-Encoding header (RFC 9110,
// section 12.5.3), for the servers that send a file precompressed: the app's
// Worker (wasm/worker) and the portal emulator (web/devportal), which share no
// other code.
package acceptencoding

import (
	"strconv"
	"strings"
)

// Allows reports whether an Accept-Encoding header allows enc (lower case): named
// with q > 0, or "*" with q > 0 and enc not named. Names are compared without regard
// to case; a q that does not parse counts as 1.
func Allows(header, enc string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		switch name {
		case enc:
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}
