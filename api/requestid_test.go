package api

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestRequestIDSyntaxIsTheRegexp: the loop accepts exactly what
// ^[A-Za-z0-9._:-]{1,64}$ accepts.
func TestRequestIDSyntaxIsTheRegexp(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	cases := []string{"", "a", "run-1.2:x_Y", strings.Repeat("a", 64), strings.Repeat("a", 65), "a b", "a\n", "é", "a/b",
		"\x00", "abc\xff", "ß" + strings.Repeat("a", 62), "-", "..", "a\r\nX-Evil: 1"}
	alphabet := []byte("aZ09._:-/ \n\xc3\xa9\x00+=~")
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		b := make([]byte, rng.IntN(70))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := validRequestID.MatchString(c), re.MatchString(c); got != want {
			t.Fatalf("%q: got %v, regexp says %v", c, got, want)
		}
	}
}

func BenchmarkRequestIDSyntax(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !validRequestID.MatchString("0f3c9a1b2d4e5f60718293a4") || validRequestID.MatchString("") {
			b.Fatal("wrong")
		}
	}
}
