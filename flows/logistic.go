package flows

import (
	"math"
	"math/rand/v2"
	"slices"
)

// trainLogistic fits a multinomial logistic regression over the examples'
// features: a weight per feature and class, learned by Adagrad with L2
// regularisation over a fixed shuffle of the examples, so the same pack
// always gives the same reader. It weighs each word against the others in
// the same message: a word every kind of message shares ("calle",
// "ayuda") learns a small weight because it does not tell them apart.
// Chosen over naive Bayes on the tune corpora (issue 15, round 2).
func (r *reader) trainLogistic(samples []sample) {
	nc, nf := len(r.classes), len(r.rows)
	r.weights = make([]float32, nf*nc)
	r.bias = make([]float32, nc)
	acc := make([]float32, nf*nc)
	biasAcc := make([]float32, nc)
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	z := make([]float64, nc)
	rows := make([]int, 0, 64)
	rate, l2 := float32(r.tu.Rate), float32(r.tu.L2)
	weight := classWeights(samples, nc, r.tu.Balance)
	for range r.tu.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			s := samples[i]
			rows = rows[:0]
			for _, f := range s.feats {
				rows = append(rows, int(r.rows[f]))
			}
			x := float32(1 / math.Sqrt(float64(max(len(rows), 1))))
			r.logits(rows, x, z)
			softmax(z)
			for c := range nc {
				g := float32(z[c])
				if c == s.c {
					g--
				}
				g *= weight[s.c]
				if g > -minGradient && g < minGradient {
					continue // a class the message is far from: nothing to learn
				}
				biasAcc[c] += g * g
				r.bias[c] -= rate * g / float32(math.Sqrt(float64(biasAcc[c])+1e-8))
				for _, row := range rows {
					k := row*nc + c
					gw := g*x + l2*r.weights[k]
					acc[k] += gw * gw
					r.weights[k] -= rate * gw / float32(math.Sqrt(float64(acc[k])+1e-8))
				}
			}
		}
	}
}

// classWeights weighs each class's examples by (mean count / its count)
// to the power balance: 0 leaves them as they are; 1 makes a class of
// 30 examples weigh as much as one of 700, so "none", the largest,
// does not win every short message by its numbers alone.
func classWeights(samples []sample, nc int, balance float64) []float32 {
	counts := make([]float64, nc)
	for _, s := range samples {
		counts[s.c]++
	}
	mean := float64(len(samples)) / float64(nc)
	out := make([]float32, nc)
	for c, n := range counts {
		out[c] = float32(math.Pow(mean/max(n, 1), balance))
	}
	return out
}

// minGradient is the smallest gradient training applies: most classes
// are far from most messages after the first pass, and skipping them
// makes training several times faster for the same reader.
const minGradient = 1e-3

// logits writes each class's score for a message's feature rows, each
// feature worth x, into z. The weights are summed in float32, row by row,
// and scaled once: the inner loop is one addition per class.
func (r *reader) logits(rows []int, x float32, z []float64) {
	nc := len(r.classes)
	var abuf [128]float32
	acc := sized(abuf[:0], nc)
	for _, row := range rows {
		w := r.weights[row*nc : (row+1)*nc]
		w = w[:len(acc)]
		for c, v := range w {
			acc[c] += v
		}
	}
	for c := range z {
		z[c] = float64(r.bias[c]) + float64(x*acc[c])
	}
}

// sized returns buf's first n elements, or a new slice when buf is too
// small: a caller's stack array serves the usual number of classes.
func sized[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// softmax turns scores into probabilities, in place.
func softmax(z []float64) {
	top := slices.Max(z)
	total := 0.0
	for c := range z {
		z[c] = math.Exp(z[c] - top)
		total += z[c]
	}
	for c := range z {
		z[c] /= total
	}
}
