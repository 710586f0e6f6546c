package natsjs

import (
	"testing"
	"time"
)

func TestReadPacingWindowRunsFromTheFirstFailureAtAPosition(t *testing.T) {
	pacing := newReadPacing(time.Hour)
	first, moved, expired := pacing.failedAt(7)
	if !moved || expired || first != readRetryIntervalMs*time.Millisecond {
		t.Fatalf("first failure: pause %s, moved %t, expired %t", first, moved, expired)
	}
	second, moved, _ := pacing.failedAt(7)
	if moved || second != 2*first {
		t.Fatalf("second failure at the same position: pause %s, moved %t", second, moved)
	}
	for range 20 {
		second, _, _ = pacing.failedAt(7)
	}
	if second != readRetryIntervalMaxMs*time.Millisecond {
		t.Fatalf("the pause grew to %s, past its cap", second)
	}
	if pause, moved, _ := pacing.failedAt(8); !moved || pause != first {
		t.Fatalf("after progress: pause %s, moved %t; want a fresh start", pause, moved)
	}
	expiring := newReadPacing(time.Millisecond)
	expiring.failedAt(1)
	<-time.After(2 * time.Millisecond)
	if _, _, expired := expiring.failedAt(1); !expired {
		t.Fatal("a zero window did not run out")
	}
}
