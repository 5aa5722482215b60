package unread

// CheckPortal returns the base URL a token may be sent to, without a
// trailing slash, or refuses it. https is required except for loopback
// hosts (a local emulator), and a page served over https never sends a
// token over plain http, loopback or not.
func CheckPortal(base string, pageSecure bool) (string, *Error) {
	for base != "" && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	scheme, host, ok := cut(base, "://")
	if !ok || host == "" || !isAuthority(host) {
		return "", newError(CodeInvalidPortal, "portal "+quote(base)+" is not a base URL such as https://example.bitrix24.com")
	}
	for i := 0; i < len(host); i++ {
		if !isHostByte(host[i]) {
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

// isAuthority says host is only a host and port: no path, query,
// fragment, user name, space or backslash (which browsers read as '/').
func isAuthority(host string) bool {
	for i := 0; i < len(host); i++ {
		switch host[i] {
		case '/', '?', '#', '@', ' ', '\\':
			return false
		}
	}
	return true
}

// isHostByte: a letter, a digit, or a byte of a name, port or IPv6
// literal.
func isHostByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '.', '-', ':', '[', ']':
		return true
	}
	return false
}

func isLoopback(host string) bool {
	h := lowerASCII(host)
	if hasPrefix(h, "[") {
		end := indexByte(h, ']')
		return end > 0 && h[1:end] == "::1" && (end == len(h)-1 || h[end+1] == ':')
	}
	for i := len(h) - 1; i >= 0; i-- { // the port goes
		if h[i] == ':' {
			h = h[:i]
			break
		}
	}
	return h == "localhost" || isLoopbackIPv4(h)
}

// isLoopbackIPv4 says h is four dot-separated numbers of up to three
// digits, the first 127.
func isLoopbackIPv4(h string) bool {
	if !hasPrefix(h, "127.") {
		return false
	}
	fields := 0
	for more := true; more; fields++ {
		var field string
		field, h, more = cut(h, ".")
		if !allDigits(field) || len(field) > 3 {
			return false
		}
	}
	return fields == 4
}
