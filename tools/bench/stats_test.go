package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPercentile(t *testing.T) {
	assert.True(t, math.IsNaN(percentile(nil, 50)))
	assert.Equal(t, 7.0, percentile([]float64{7}, 90))
	xs := []float64{5, 1, 4, 2, 3}
	assert.Equal(t, 3.0, median(xs))
	assert.Equal(t, []float64{5, 1, 4, 2, 3}, xs, "input left as it was")
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	assert.Equal(t, 1.0, percentile(xs, 0))
	assert.Equal(t, 5.0, percentile(xs, 100))
	assert.InDelta(t, 4.6, percentile(xs, 90), 1e-9)
	assert.Equal(t, 5.0, percentile(xs, 150), "clamped")
}

func TestProjectDone(t *testing.T) {
	// A burst of 2 at once, then one success every 500 ms.
	ok := []float64{10, 10, 510, 1010, 1510}
	assert.InDelta(t, 10+8*500.0, projectDone(ok, 10, 2), 1e-9)
	assert.Equal(t, 510.0, projectDone(ok, 3, 2), "already done: the n-th success")
	assert.True(t, math.IsNaN(projectDone(ok[:3], 10, 2)), "one success past the burst is too few")
	assert.True(t, math.IsNaN(projectDone(ok, 10, 0)))
}

func TestFormatCodes(t *testing.T) {
	assert.Equal(t, "-", formatCodes(nil))
	codes := map[string]int{"TIMEOUT": 3, "QUERY_LIMIT_EXCEEDED": 440}
	assert.Equal(t, "QUERY_LIMIT_EXCEEDED×440, TIMEOUT×3", formatCodes(codes))
	assert.Equal(t, 443, sum(codes))
}
