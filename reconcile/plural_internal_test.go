package reconcile

import "testing"

// An import that wrote one line before it was refused says so in the
// singular.
func TestLinesWereSaysOneLineInTheSingular(t *testing.T) {
	for n, want := range map[int]string{0: "0 lines were", 1: "1 line was", 2: "2 lines were"} {
		if got := linesWere(n); got != want {
			t.Errorf("linesWere(%d) = %q, want %q", n, got, want)
		}
	}
}
