package main

import (
	"strings"
	"testing"
	"time"
)

func TestCompileTimesSumsEachTier(t *testing.T) {
	log := `[1:1:ERROR:dbus/object_proxy.cc:572] Failed to call method
Compiled function 0x3884#1440 using Liftoff, took 108 μs and 13584 bytes; bodysize 37 codesize 196
Compiled function 0x3884#940 using TurboFan, took 278312 μs and 561312 / 1281136 max/total bytes; bodysize 13322
Compiled function 0x3884#922 using Liftoff, took 368 μs and 139416 bytes; bodysize 2282 codesize 6144
Compiled function 0x3884#819 using TurboFan, took 1.5 ms and 650696 / 1492176 max/total bytes
`
	got, err := compileTimes(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]tierTotal{
		"Liftoff":  {functions: 2, took: 476 * time.Microsecond},
		"TurboFan": {functions: 2, took: 278312*time.Microsecond + 1500*time.Microsecond},
	}
	if len(got) != len(want) {
		t.Fatalf("tiers %v, want %v", got, want)
	}
	for tier, w := range want {
		if got[tier] != w {
			t.Errorf("%s: %+v, want %+v", tier, got[tier], w)
		}
	}
}
