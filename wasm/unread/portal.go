package unread

import "strings"

// CheckPortal returns the base URL a token may be sent to, without a
// trailing slash, or refuses it. https is required except for loopback
// hosts (a local emulator), and a page served over https never sends a
// token over plain http, loopback or not.
func CheckPortal(base string, pageSecure bool) (string, *Error) {
	base = strings.TrimRight(base, "/")
	scheme, host, ok := strings.Cut(base, "://")
	if !ok || host == "" || strings.ContainsAny(host, "/?#@ \\") {
		return "", newError(CodeInvalidPortal, "portal "+quote(base)+" is not a base URL such as https://example.bitrix24.com")
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0) {
			return "", newError(CodeInvalidPortal, "portal host "+quote(host)+" has a character a host name cannot have")
		}
	}
	switch lowerASCII(scheme) {
	case "https":
		return "https://" + host, nil
	case "http":
		if !isLoopback(host) {
			return "", newError(CodeInvalidPortal, "portal "+quote(base)+" is plain http; only a loopback portal may be")
		}
		if pageSecure {
			return "", newError(CodeInvalidPortal, "portal "+quote(base)+" is plain http and the page is https")
		}
		return "http://" + host, nil
	}
	return "", newError(CodeInvalidPortal, "portal "+quote(base)+" is neither https nor http")
}

func isLoopback(host string) bool {
	h := lowerASCII(host)
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		return end > 0 && h[1:end] == "::1" && (end == len(h)-1 || h[end+1] == ':')
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	if h == "localhost" {
		return true
	}
	parts := strings.Split(h, ".")
	if len(parts) != 4 || parts[0] != "127" {
		return false
	}
	for _, p := range parts {
		if !allDigits(p) || len(p) > 3 {
			return false
		}
	}
	return true
}
