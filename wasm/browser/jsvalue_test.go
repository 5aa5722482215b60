//go:build js && wasm

package browser

import (
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// A page's options.fetch that ignores its AbortSignal and never settles:
// Post gives up abortGrace after the abort, so the request's slot and its
// calls are free (the core counts the request as abandoned).
func TestFetchThatIgnoresItsAbortIsGivenUpOn(t *testing.T) {
	noop := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	defer noop.Release()
	never := jsPromise.New(noop)
	fetch := js.FuncOf(func(js.Value, []js.Value) any { return never })
	defer fetch.Release()

	stop := unread.NewStop()
	defer stop.FireAfter(100*time.Millisecond, nil).Stop()
	start := time.Now()
	_, err := newFetchTransport(fetch.Value).Post(stop.Done(), "https://example.bitrix24.com/rest/im.dialog.unread", "x=1")
	took := time.Since(start)
	require.ErrorIs(t, err, errStopped)
	assert.GreaterOrEqual(t, took, abortGrace, "it gave up before the grace period")
	assert.Less(t, took, abortGrace+2*time.Second)
}

// Value.Type panics on a BigInt; toArg names it instead, so the core gives
// the portal's codes.
func TestBigIntArgumentsGetThePortalsCodes(t *testing.T) {
	big := js.Global().Get("BigInt").Invoke(29)
	assert.Equal(t, unread.Arg{Type: "bigint"}, toArg(big))
	_, err := unread.ParseDialogID(toArg(big))
	require.NotNil(t, err)
	assert.Equal(t, "DIALOG_ID_EMPTY", err.Code)
	_, err = unread.ParseMessageID(toArg(big))
	require.NotNil(t, err)
	assert.Equal(t, "MESSAGE_ID_ERROR", err.Code)
}

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
