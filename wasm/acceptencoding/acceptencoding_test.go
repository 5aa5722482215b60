package acceptencoding

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAllowsWhatTheHeaderNamesOrItsStarWithQAboveZero(t *testing.T) {
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"br", true},
		{"gzip, deflate, br, zstd", true},
		{"gzip, deflate", false},
		{"BR", true},
		{" gzip ,  br ", true},
		{"br;q=0.5", true},
		{"br; q=0.001", true},
		{"br;q=0", false},
		{"br;q=0.0, gzip", false},
		{"*", true},
		{"gzip, *;q=0.1", true},
		{"*;q=0", false},
		{"br;q=0, *", false},   // named: its own q wins over the star's
		{"*, br;q=0", false},   // in any order
		{"br;q=x", true},       // an unreadable q counts as 1
		{"brotli, xbr", false}, // whole names only
		{"identity;q=1, *;q=0", false},
	} {
		assert.Equal(t, c.want, Allows(c.header, "br"), "Accept-Encoding: %q", c.header)
	}
}

func TestAllowsTheEncodingAsked(t *testing.T) {
	assert.True(t, Allows("br;q=0, gzip", "gzip"))
	assert.False(t, Allows("gzip;q=0, br", "gzip"))
}
