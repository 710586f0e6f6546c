package domain

import (
	"maps"
	"slices"
	"testing"
)

// FuzzEffectDeltas holds an effect's short lists to the maps they replaced:
// every key added is there once, with the sum of its amounts, a key added
// with zero included, and sort puts the keys in the order sorting the map's
// keys gave.
func FuzzEffectDeltas(f *testing.F) {
	f.Add([]byte{1, 2, 1, 0, 3, 3, 3})
	f.Add([]byte{})
	f.Add([]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0})
	f.Fuzz(func(t *testing.T, steps []byte) {
		list := make(deltas[Money], 0, effectDeltasMax)
		want := map[string]Money{}
		for i, step := range steps {
			key := string(rune('a' + step%7))
			amount := Money(int64(step)*int64(i%3) - 5)
			if step%5 == 0 {
				amount = 0
			}
			list = list.add(key, amount)
			want[key] += amount
		}
		if len(list) != len(want) {
			t.Fatalf("%d keys, want %d", len(list), len(want))
		}
		for key, amount := range want {
			if got := list.of(key); got != amount {
				t.Fatalf("key %q: %d, want %d", key, got, amount)
			}
		}
		list.sort()
		keys := make([]string, 0, len(list))
		for _, each := range list {
			keys = append(keys, each.key)
		}
		if wantKeys := slices.Sorted(maps.Keys(want)); !slices.Equal(keys, wantKeys) {
			t.Fatalf("sorted keys %v, want %v", keys, wantKeys)
		}
	})
}
