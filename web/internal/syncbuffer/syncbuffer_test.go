package syncbuffer

import (
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Under -race, an unlocked buffer fails here.
func TestAReaderSeesWhatAWriterWroteWhileItWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 1000 {
			_, _ = b.Write([]byte("x"))
		}
	})
	for range 100 {
		seen := b.String()
		assert.Equal(t, strings.Repeat("x", len(seen)), seen, "a read sees whole writes only")
	}
	wg.Wait()
	assert.Equal(t, strings.Repeat("x", 1000), b.String())
}

func TestItTakesAProcesssOutput(t *testing.T) {
	var out Buffer
	cmd := exec.Command("sh", "-c", "echo one; echo two >&2")
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run())
	assert.Equal(t, "one\ntwo\n", out.String())
}
