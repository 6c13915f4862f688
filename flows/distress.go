package flows

import (
	"strings"

	"github.com/senda-org/senda/content"
)

// distressIndex finds the pack's distress phrases anywhere in a message:
// whole words, in order, with at most one other word between two of them;
// a word of five letters or more also matches with one typo, and a word
// written with a final * matches any word it begins. It is built once per
// engine, so a message costs a few map lookups per word.
type distressIndex struct {
	phrases []phrase
	// first maps a phrase's first word (exact, or one letter deleted for
	// the words that forgive a typo) to the phrases it starts.
	first map[string][]int32
	// prefixes maps a prefix to the phrases that start with it; prefixLens
	// are the lengths to try.
	prefixes   map[string][]int32
	prefixLens []int
}

type phrase struct {
	words []string // normalized; a final * marks a prefix
	kind  int      // index into the pack's Distress
}

// maxGap is how many other words may stand between two words of a phrase:
// "se me rompió" still matches "se rompio".
const maxGap = 1

// fuzzyLen is the shortest word that forgives one typo. Shorter words
// differ too little: "pego" (hit) and "pago" (paid) are one letter apart.
const fuzzyLen = 5

func newDistressIndex(p *content.Pack) *distressIndex {
	ix := &distressIndex{first: map[string][]int32{}, prefixes: map[string][]int32{}}
	for kind, d := range p.Distress {
		for _, ph := range d.Phrases {
			words := strings.Fields(ph)
			i := int32(len(ix.phrases))
			ix.phrases = append(ix.phrases, phrase{words: words, kind: kind})
			w := words[0]
			switch {
			case strings.HasSuffix(w, "*"):
				pre := strings.TrimSuffix(w, "*")
				ix.prefixes[pre] = append(ix.prefixes[pre], i)
				if !containsInt(ix.prefixLens, len(pre)) {
					ix.prefixLens = append(ix.prefixLens, len(pre))
				}
			default:
				ix.first[w] = appendOnce(ix.first[w], i)
				if len(w) >= fuzzyLen {
					for j := range len(w) {
						del := w[:j] + w[j+1:]
						ix.first[del] = appendOnce(ix.first[del], i)
					}
				}
			}
		}
	}
	return ix
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func appendOnce(s []int32, v int32) []int32 {
	if len(s) > 0 && s[len(s)-1] == v {
		return s
	}
	return append(s, v)
}

// maxWords bounds the words looked at in one message; distress is said
// early, and a message longer than this is rare.
const maxWords = 64

// find returns the distress kind a normalized message reveals, or -1.
// Exact words are tried first, so "me quiere matar" (a threat) is not taken
// for "me quiero matar", one letter away.
func (ix *distressIndex) find(norm string) int {
	if len(ix.phrases) == 0 || norm == "" {
		return -1
	}
	if k := ix.findPass(norm, false); k >= 0 {
		return k
	}
	return ix.findPass(norm, true)
}

func (ix *distressIndex) findPass(norm string, fuzzy bool) int {
	var buf [maxWords]string
	words := buf[:0]
	for w := range strings.FieldsSeq(norm) {
		if len(words) == maxWords {
			break
		}
		words = append(words, w)
	}
	var del [32]byte
	for i, w := range words {
		if k := ix.tryAll(ix.first[w], words, i, fuzzy); k >= 0 {
			return k
		}
		for _, l := range ix.prefixLens {
			if len(w) >= l {
				if k := ix.tryAll(ix.prefixes[w[:l]], words, i, fuzzy); k >= 0 {
					return k
				}
			}
		}
		if !fuzzy {
			continue
		}
		// A typo in the message: an extra letter (deleting one finds the
		// word), or a changed or swapped letter (deleting one from each
		// finds the same string, indexed under the phrase's word).
		if len(w) >= fuzzyLen-1 && len(w) <= len(del) {
			for j := range len(w) {
				n := copy(del[:], w[:j])
				n += copy(del[n:], w[j+1:])
				if k := ix.tryAll(ix.first[string(del[:n])], words, i, fuzzy); k >= 0 {
					return k
				}
			}
		}
	}
	return -1
}

func (ix *distressIndex) tryAll(cands []int32, words []string, at int, fuzzy bool) int {
	for _, c := range cands {
		ph := &ix.phrases[c]
		if matchFrom(ph.words, words, at, fuzzy) {
			return ph.kind
		}
	}
	return -1
}

// matchFrom reports whether the phrase's words appear in words starting at
// at, in order, with at most maxGap other words between two of them.
func matchFrom(pw, words []string, at int, fuzzy bool) bool {
	if !wordMatch(pw[0], words[at], fuzzy) {
		return false
	}
	i := at + 1
	for _, want := range pw[1:] {
		found := false
		for gap := 0; gap <= maxGap && i < len(words); gap++ {
			if wordMatch(want, words[i], fuzzy) {
				found = true
				i++
				break
			}
			i++
		}
		if !found {
			return false
		}
	}
	return true
}

func wordMatch(want, got string, fuzzy bool) bool {
	if pre, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, pre)
	}
	if want == got {
		return true
	}
	return fuzzy && len(want) >= fuzzyLen && content.WithinOneEdit(want, got)
}
