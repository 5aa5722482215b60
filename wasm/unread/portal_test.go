package unread

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckPortalAllowsHTTPSAndLoopbackHTTP(t *testing.T) {
	for in, want := range map[string]string{
		"https://example.bitrix24.com":  "https://example.bitrix24.com",
		"https://example.bitrix24.com/": "https://example.bitrix24.com",
		"HTTPS://b24.example.de:8443":   "https://b24.example.de:8443",
		"http://127.0.0.1:8080":         "http://127.0.0.1:8080",
		"http://127.1.2.3":              "http://127.1.2.3",
		"http://localhost:8080/":        "http://localhost:8080",
		"http://[::1]:8080":             "http://[::1]:8080",
	} {
		got, err := CheckPortal(in, false)
		require.Nil(t, err, in)
		assert.Equal(t, want, got)
	}
}

func TestCheckPortalRefusesWhatCouldLeakTheToken(t *testing.T) {
	for _, in := range []string{
		"http://example.bitrix24.com",      // plain http off loopback
		"http://127.0.0.1.evil.com",        // looks like loopback, is not
		"http://localhost.evil.com:8080",   // likewise
		"http://[::2]:80",                  //
		"https://user@example.com",         // credentials in the URL
		"https://example.com/rest?x=1",     // a path or query
		"ftp://example.com",                //
		"example.bitrix24.com",             // no scheme
		"",                                 //
		"https://",                         //
		"https://exa mple.com",             //
		"javascript://alert(1)",            //
		"https://example.com\r\nX-Evil: 1", //
	} {
		_, err := CheckPortal(in, false)
		require.NotNil(t, err, in)
		assert.Equal(t, CodeInvalidPortal, err.Code)
	}
}

func TestAnHTTPSPageNeverDowngradesToHTTP(t *testing.T) {
	_, err := CheckPortal("http://127.0.0.1:8080", true)
	require.NotNil(t, err)
	assert.Contains(t, err.Description, "the page is https")
	_, err = CheckPortal("https://example.bitrix24.com", true)
	assert.Nil(t, err)
}

// portalByStrings is CheckPortal as it was written with the strings
// package, before the module dropped it: the fuzz target below holds the
// byte-wise version to the same answers.
func portalByStrings(base string, pageSecure bool) (string, string) {
	base = strings.TrimRight(base, "/")
	scheme, host, ok := strings.Cut(base, "://")
	if !ok || host == "" || strings.ContainsAny(host, "/?#@ \\") {
		return "", "not a base URL"
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0) {
			return "", "a character a host name cannot have"
		}
	}
	switch asciiLower(scheme) {
	case "https":
		return "https://" + host, ""
	case "http":
		if !loopbackByStrings(host) {
			return "", "only a loopback portal may be"
		}
		if pageSecure {
			return "", "the page is https"
		}
		return "http://" + host, ""
	}
	return "", "neither https nor http"
}

func loopbackByStrings(host string) bool {
	h := asciiLower(host)
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
		if len(p) == 0 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

func FuzzCheckPortal(f *testing.F) {
	for _, s := range []string{
		"https://example.bitrix24.com/", "HTTPS://b24.example.de:8443", "http://127.0.0.1:8080",
		"http://127.1.2.3", "http://127.0.0.1.evil.com", "http://127.0.0.1.", "http://127..0.1",
		"http://127.0.0.1234", "http://localhost:8080//", "http://LOCALHOST", "http://[::1]:8080",
		"http://[::1]x", "http://[::2]", "https://user@example.com", "https://ex ample.com",
		"https://example.com\\evil", "javascript://alert(1)", "https://", "://x", "https://é.com",
		"hTTp://127.0.0.1:", "http://127.0.0.1:80:80",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, base string, pageSecure bool) {
		want, refusal := portalByStrings(base, pageSecure)
		got, err := CheckPortal(base, pageSecure)
		if refusal != "" {
			if err == nil || err.Code != CodeInvalidPortal || !strings.Contains(err.Description, refusal) {
				t.Fatalf("%q: got %q, %v; want the refusal %q", base, got, err, refusal)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("%q: got %q, %v; want %q", base, got, err, want)
		}
	})
}
