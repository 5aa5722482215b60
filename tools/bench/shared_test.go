package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSharedIdealIsTheRequestsBeyondTheRoomOverWhatTheOthersLeave(t *testing.T) {
	ideal := map[string]float64{}
	for _, c := range sharedCases {
		ideal[c.id] = c.ideal()
	}
	assert.InDeltaMapValues(t, map[string]float64{
		"10": 30 / 1.5, // 80 requests, 50 free, 2 - 0.5 left
		"11": 70 / 1.0,
		"12": 30 / 0.5,
		"13": 70 / 1.0, // bursts of 10 every 10 s: 1/s on average
		"14": 6 / 2.0,  // 10 requests, 4 free
		"15": 9 / 2.0,
		"16": 70 / 1.0, // 3 tabs × 40 requests
	}, ideal, 1e-9)
}

func TestSharedGoal(t *testing.T) {
	steady := sharedCase{other: sharedCases[0].other, marks: 4000}
	row := sharedRow{c: steady, wallGoal: true, module: jobRun{n: 4000, ok: 4000, requests: 100, s503: 8, wall: 23 * time.Second}}
	assert.Equal(t, "≤ 8 × 503, ≤ 1.15×: MET", row.goalText())
	row.module.wall = 23100 * time.Millisecond
	assert.Equal(t, "≤ 8 × 503, ≤ 1.15×: NOT MET", row.goalText(), "1.155× the ideal of 20 s")
	row.module.wall, row.module.s503 = 20*time.Second, 9
	assert.Equal(t, "≤ 8 × 503, ≤ 1.15×: NOT MET", row.goalText())
	row.module.s503, row.module.ok = 0, 3999
	assert.Equal(t, "≤ 8 × 503, ≤ 1.15×: NOT MET", row.goalText(), "a lost mark")

	spent := sharedRow{c: sharedCase{prefill: 49, marks: 500}, module: jobRun{n: 500, ok: 500, requests: 12, s503: 2, wall: 9 * time.Second}}
	assert.Equal(t, "≤ 2 × 503: MET", spent.goalText())
	spent.module.s503 = 3
	assert.Equal(t, "≤ 2 × 503: NOT MET", spent.goalText())
}

func TestFormatThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 500: "500", 4000: "4,000", 10000: "10,000", 1234567: "1,234,567"} {
		assert.Equal(t, want, formatThousands(n))
	}
}

func TestSharedNames(t *testing.T) {
	names := map[string]string{}
	for _, c := range sharedCases {
		names[c.id] = c.name()
	}
	assert.Equal(t, "another app at 0.5 request/s, 4,000 marks", names["10"])
	assert.Equal(t, "another app in bursts of 10 every 10 s (1 request/s on average), 6,000 marks", names["13"])
	assert.Equal(t, "the bucket at 46 of 50 when the page opens, 500 marks", names["14"])
	assert.Equal(t, "another app at 1 request/s, 3 tabs of the app, 2,000 marks each", names["16"])
}
