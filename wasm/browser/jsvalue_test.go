//go:build js && wasm

package browser

import (
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/markunread/markunread/wasm/unread"
)

func TestArgListReadsThePackedTextAsItReadsTheArray(t *testing.T) {
	want := []unread.Arg{
		unread.String("chat1"), unread.Number(5), unread.String("Привет\x01"),
		unread.Number(1.5e300), unread.Number(-2), unread.String(""),
	}
	array := js.Global().Get("Array").New("chat1", 5, "Привет\x01", 1.5e300, -2, "")
	// what the shim's packed() makes of the same list
	packed := js.ValueOf("schat1\x00n5\x00sПривет\x01\x00n1.5e+300\x00n-2\x00s")
	assert.Equal(t, want, argList(array))
	assert.Equal(t, want, argList(packed))
	assert.Equal(t, []unread.Arg{{Type: "undefined"}, {Type: "null"}}, argList(js.Global().Get("Array").New(js.Undefined(), js.Null())))
}

func TestArgListRefusesPackedTextItCannotRead(t *testing.T) {
	for _, text := range []string{"x1", "schat1\x00nope", "schat1\x00"} {
		assert.Panics(t, func() { argList(js.ValueOf(text)) }, "%q", text)
	}
}
