package esdb

import "testing"

func TestMetadataDueOnEveryCrossing(t *testing.T) {
	// Saves of 4 events (3 parts and a manifest) never land on a multiple
	// of metadataDueEvery when they start at revision 1; every crossing
	// still sets the cap.
	due := 0
	revision := uint64(0)
	for range 1000 {
		revision += 4
		if metadataDue(revision, 4, 0) {
			due++
		}
	}
	if want := int((revision + 1) / metadataDueEvery); due != want {
		t.Fatalf("cap set %d times over %d events, want %d", due, revision+1, want)
	}
	if !metadataDue(0, 1, 0) || !metadataDue(17, 17, 17) {
		t.Fatal("a young stream's cap is not set")
	}
}
