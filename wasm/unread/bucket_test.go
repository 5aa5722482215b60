package unread

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBucketLetsTheWholeBurstThroughThenOneStepPerDrain(t *testing.T) {
	start := time.Unix(1000, 0)
	b := NewBucket(2, 50)
	for i := 0; i < 50; i++ {
		assert.Zero(t, b.Delay(start), "request %d", i)
		b.Add(start)
	}
	assert.Equal(t, 501*time.Millisecond, b.Delay(start))
	at := start.Add(501 * time.Millisecond)
	assert.Zero(t, b.Delay(at))
	b.Add(at)
	assert.InDelta(t, 500*time.Millisecond, b.Delay(at), float64(2*time.Millisecond))
}

func TestBucketDrainsContinuouslyAndNeverBelowEmpty(t *testing.T) {
	start := time.Unix(1000, 0)
	b := NewBucket(5, 250)
	for i := 0; i < 100; i++ {
		b.Add(start)
	}
	assert.InDelta(t, 100, b.Level(start), 1e-9)
	assert.InDelta(t, 95, b.Level(start.Add(time.Second)), 1e-9)
	assert.InDelta(t, 92.5, b.Level(start.Add(1500*time.Millisecond)), 1e-9)
	assert.Zero(t, b.Level(start.Add(time.Hour)))
	// An earlier time than the last one seen does not refill the bucket.
	assert.Zero(t, b.Level(start))
}

func TestFillMakesTheNextRequestWaitOneDrainStep(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBucket(2, 50)
	b.Fill(now)
	assert.Equal(t, 501*time.Millisecond, b.Delay(now))
	assert.Zero(t, b.Delay(now.Add(501*time.Millisecond)))
}

func TestTheClientLeavesHeadroomForLatencyJitter(t *testing.T) {
	assert.Equal(t, 49, capacity(Plan{2, 50}))   // a quarter second at 2/s is under one request
	assert.Equal(t, 248, capacity(Plan{5, 250})) // enterprise: 1.25 requests, rounded up
	assert.Equal(t, 5, capacity(Plan{10, 8}))
	assert.Equal(t, 1, capacity(Plan{2, 1})) // never below one request
}
