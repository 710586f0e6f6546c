package csvsafe

import "testing"

func TestText(t *testing.T) {
	cases := map[string]string{
		"":                           "",
		"张三":                         "张三",
		"会费":                         "会费",
		"=1+2":                       "'=1+2",
		"+86 138":                    "'+86 138",
		"-汇款":                        "'-汇款",
		"@SUM(A1)":                   "'@SUM(A1)",
		"\t=1":                       "'\t=1",
		"\r=1":                       "'\r=1",
		`=HYPERLINK("http://x","c")`: `'=HYPERLINK("http://x","c")`,
		"a=1":                        "a=1",
		"'quoted":                    "'quoted",
	}
	for in, want := range cases {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Texts("=1", "x"); got[0] != "'=1" || got[1] != "x" {
		t.Errorf("Texts = %q", got)
	}
}
