package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// percentile returns the p-th percentile (0..100) of xs by linear
// interpolation between closest ranks (the R-7 / NumPy default), or NaN for
// an empty slice. xs is not modified.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	p = min(max(p, 0), 100)
	pos := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

// median is percentile(xs, 50).
func median(xs []float64) float64 { return percentile(xs, 50) }

// projectDone estimates when the n-th success would arrive, given the sorted
// times of the successes seen so far (okMs) and the burst that the bucket
// admits at once: the successes after the burst set the sustained rate.
// It returns NaN when there are too few successes past the burst to tell.
func projectDone(okMs []float64, n, burst int) float64 {
	if len(okMs) >= n {
		return okMs[n-1]
	}
	if burst < 1 || len(okMs) < burst+2 {
		return math.NaN()
	}
	first, last := okMs[burst-1], okMs[len(okMs)-1]
	if last <= first {
		return math.NaN()
	}
	perMs := float64(len(okMs)-burst) / (last - first)
	return first + float64(n-burst)/perMs
}

// formatCodes renders failures by code as "CODE×n, ..." sorted by code, or
// "-" when there are none.
func formatCodes(codes map[string]int) string {
	if len(codes) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, codes[k])
	}
	return strings.Join(parts, ", ")
}

// sum adds the counts of a failures-by-code map.
func sum(codes map[string]int) int {
	n := 0
	for _, v := range codes {
		n += v
	}
	return n
}
