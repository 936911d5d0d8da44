package profitwelltest

import "hash/fnv"

// prng is a SplitMix64 generator. It is implemented here, rather than taken
// from math/rand, so that the seeded data cannot change with a Go release:
// same Seed, same token and same Reference always give the same bytes.
type prng struct{ s uint64 }

func newPRNG(seed int64, token string) *prng {
	h := fnv.New64a()
	_, _ = h.Write([]byte(token))
	p := &prng{s: uint64(seed)*0x9E3779B97F4A7C15 ^ h.Sum64()}
	p.next() // decorrelate nearby seeds
	return p
}

func (p *prng) next() uint64 {
	p.s += 0x9E3779B97F4A7C15
	z := p.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a uniform int in [0, n); n must be > 0.
func (p *prng) intn(n int) int {
	if n <= 0 {
		panic("profitwelltest: intn with n <= 0")
	}
	un := uint64(n)
	limit := ^uint64(0) - (^uint64(0)%un+1)%un
	for {
		v := p.next()
		if v <= limit {
			return int(v % un)
		}
	}
}

// between returns a uniform int64 in [lo, hi); hi must be > lo.
func (p *prng) between(lo, hi int64) int64 {
	return lo + int64(p.intn(int(hi-lo)))
}

// chance reports true with probability pct/100.
func (p *prng) chance(pct int) bool { return p.intn(100) < pct }

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (p *prng) alnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphanumerics[p.intn(len(alphanumerics))]
	}
	return string(b)
}

func pick[T any](p *prng, xs []T) T { return xs[p.intn(len(xs))] }
