package domain

import "testing"

// isEntityID and isKey match exactly what their regular expressions match.
func TestHandMatchersAgreeWithPatterns(t *testing.T) {
	alphabet := []string{"a", "Z", "0", "9", ".", "_", "-", ":", " ", "/", "é", "\n", "\x00", "\u0661"}
	inputs := []string{"", "D-1", "-D", ".x", "a:b", "x\n", "\nx"}
	for _, first := range alphabet {
		for _, second := range append(alphabet, "") {
			for _, third := range append(alphabet, "") {
				inputs = append(inputs, first+second+third)
			}
		}
	}
	for _, length := range []int{63, 64, 65} {
		long := make([]byte, length)
		for i := range long {
			long[i] = 'a'
		}
		inputs = append(inputs, string(long), string(long[:length-1])+"-")
	}
	for _, input := range inputs {
		if got, want := isEntityID(input), entityIDPattern.MatchString(input); got != want {
			t.Errorf("isEntityID(%q) = %v, the pattern says %v", input, got, want)
		}
		if got, want := isKey(input), keyPattern.MatchString(input); got != want {
			t.Errorf("isKey(%q) = %v, the pattern says %v", input, got, want)
		}
	}
}
