package unread

import (
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
