package flows

import (
	"strconv"
	"strings"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/spanish"
)

// The reader turns a message into features in five steps, each a plain
// table or rule, so what it does can be read and extended:
//
//  1. content.Normalize (case, accents, punctuation, repeated letters);
//  2. WhatsApp spellings (q, xq, k, tmb, x, pq, bn…) and numbers written as
//     words become the words and digits they stand for;
//  3. the pack's synonyms and local words (bato, chonte, pisto…) become the
//     word they stand for, and the pack's idioms ("me muero de" risa) go;
//  4. words after a negation ("no me pegó") are marked, so they are other
//     features than the same words said plainly;
//  5. each word is stemmed (Snowball, Spanish or English by the message's
//     function words), and neighbouring stems make pairs.

// spellings are the ways people write common words on WhatsApp and SMS.
// Every value is normalized; a value of several words stands for them all.
var spellings = map[string]string{
	"q": "que", "k": "que", "ke": "que", "qe": "que", "xq": "porque", "pq": "porque", "porq": "porque",
	"xk": "porque", "xke": "porque", "xque": "porque", "pk": "porque", "tmb": "tambien", "tb": "tambien",
	"tmbn": "tambien", "tambn": "tambien", "x": "por", "bn": "bien", "d": "de", "pa": "para", "toy": "estoy",
	"tas": "estas", "ta": "esta", "xfa": "por favor", "xfavor": "por favor", "porfa": "por favor",
	"porfavor": "por favor", "plis": "por favor", "pls": "please", "plz": "please", "c": "se", "ntp": "no te preocupes",
	"msj": "mensaje", "cel": "celular", "vdd": "verdad", "aki": "aqui", "aca": "aqui", "ola": "hola",
	"nd": "nada", "nda": "nada", "tdo": "todo", "tds": "todos", "sta": "esta", "stoy": "estoy", "toi": "estoy",
	"dnd": "donde", "dond": "donde", "cmo": "como", "kmo": "como", "qien": "quien", "kien": "quien",
	"ps": "pues", "pue": "pues", "salu": "salud", "hrs": "horas", "hr": "hora", "n": "en", "l": "el",
	"u": "you", "ur": "your", "im": "i am", "dont": "do not", "didnt": "did not", "cant": "can not",
	"wont": "will not", "doesnt": "does not", "wasnt": "was not", "isnt": "is not", "pq?": "porque",
	"mrd": "mierda", "tqm": "te quiero", "ahorita": "ahora", "orita": "ahora", "horita": "ahora",
	"kiero": "quiero", "kieres": "quieres", "kiere": "quiere", "kieren": "quieren", "kisiera": "quisiera",
	"kedo": "quedo", "keda": "queda", "kede": "quede", "kedar": "quedar", "porke": "porque", "kise": "quise",
	"kito": "quito", "kitaron": "quitaron", "kema": "quema", "kemo": "quemo", "kemaron": "quemaron",
}

// numberWords are numbers written as words, up to what ages need.
var numberWords = map[string]string{
	"uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7",
	"ocho": "8", "nueve": "9", "diez": "10", "once": "11", "doce": "12", "trece": "13", "catorce": "14",
	"quince": "15", "dieciseis": "16", "diesiseis": "16", "disiseis": "16", "diecisiete": "17", "diesisiete": "17",
	"disisiete": "17", "dieciocho": "18", "diesiocho": "18", "disiocho": "18", "diecinueve": "19", "veinte": "20",
	"twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
	"eighteen": "18", "nineteen": "19", "twenty": "20",
}

// negations open a short span of marked words; breaks close it.
var (
	negations = map[string]bool{"no": true, "nunca": true, "ni": true, "tampoco": true, "jamas": true, "not": true, "never": true, "nor": true, "sin": true}
	breaks    = map[string]bool{"pero": true, "sino": true, "y": true, "but": true, "and": true, "aunque": true, "solo": true}
)

// negSpan is how many words after a negation it reaches.
const negSpan = 3

// stopwords carry no meaning on their own: they are dropped before
// features are made. Pronouns stay: "me pegó" is not "le pegó".
var stopwords = map[string]bool{
	"el": true, "la": true, "los": true, "las": true, "un": true, "unos": true, "unas": true, "de": true,
	"del": true, "al": true, "a": true, "en": true, "y": true, "o": true, "e": true, "u": true, "con": true,
	"por": true, "para": true, "que": true, "es": true, "son": true, "esta": true, "este": true, "esto": true,
	"eso": true, "ese": true, "esa": true, "ya": true, "pues": true, "hola": true, "buenas": true, "buenos": true,
	"dias": true, "tardes": true, "noches": true, "favor": true, "disculpe": true, "oiga": true, "mire": true,
	"bueno": true, "asi": true, "muy": true, "mas": true, "como": true, "tan": true, "todo": true, "pero": true,
	"the": true, "an": true, "of": true, "to": true, "in": true, "on": true, "at": true, "is": true, "are": true,
	"am": true, "was": true, "and": true, "or": true, "it": true, "this": true, "that": true, "hi": true,
	"hello": true, "please": true, "so": true, "just": true, "like": true, "jaja": true, "jajaja": true, "ja": true,
	"ah": true, "eh": true, "oh": true, "mmm": true, "uy": true, "ay": true, "hey": true, "tengo": false,
}

// english are function words that say a message is in English.
var englishWords = map[string]bool{
	"i": true, "my": true, "the": true, "he": true, "she": true, "and": true, "to": true, "you": true,
	"is": true, "was": true, "it": true, "what": true, "where": true, "how": true, "can": true, "do": true,
	"not": true, "am": true, "of": true, "with": true, "they": true, "him": true, "her": true, "we": true,
	"have": true, "get": true, "need": true, "want": true, "did": true, "are": true, "this": true, "at": true,
}

var spanishWords = map[string]bool{
	"de": true, "la": true, "que": true, "el": true, "en": true, "y": true, "los": true, "se": true, "mi": true,
	"un": true, "una": true, "por": true, "con": true, "no": true, "para": true, "es": true, "lo": true,
	"yo": true, "le": true, "ya": true, "me": true, "estoy": true, "tengo": true, "donde": true, "como": true,
}

// langES and langEN pick the stemmer.
const (
	langES = iota
	langEN
)

// token is one word of a message after steps 1 to 4.
type token struct {
	word    string
	negated bool
}

// expand applies the spellings and number words, and the pack's
// synonyms (longest phrase first, up to maxPhrase words) and idioms.
func (r *reader) expand(norm string, out []string) []string {
	var raw [maxWords]string
	words := raw[:0]
	for w := range strings.FieldsSeq(norm) {
		if len(words) == maxWords {
			break
		}
		words = append(words, spell(w))
	}
	for i := 0; i < len(words); {
		if n := r.idiomAt(words, i); n > 0 {
			i += n
			continue
		}
		if to, n := r.synonymAt(words, i); n > 0 {
			for t := range strings.FieldsSeq(to) {
				out = append(out, t)
			}
			i += n
			continue
		}
		for t := range strings.FieldsSeq(words[i]) {
			out = append(out, t)
		}
		i++
	}
	return out
}

// spell rewrites one normalized word written the WhatsApp way.
func spell(w string) string {
	if s, ok := spellings[w]; ok {
		return s
	}
	if n, ok := numberWords[w]; ok {
		return n
	}
	return w
}

// spellPhrase spells every word of a phrase of the pack (a synonym, an
// idiom), so it matches messages spelt the same way.
func spellPhrase(s string) string {
	var b strings.Builder
	for w := range strings.FieldsSeq(s) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(spell(w))
	}
	return b.String()
}

func (r *reader) synonymAt(words []string, i int) (string, int) {
	for n := min(r.phrases[words[i]], len(words)-i); n >= 2; n-- {
		if to, ok := r.synonyms[strings.Join(words[i:i+n], " ")]; ok {
			return to, n
		}
	}
	if to, ok := r.synonyms[words[i]]; ok {
		return to, 1
	}
	return "", 0
}

func (r *reader) idiomAt(words []string, i int) int {
	for n := min(r.phrases[words[i]], len(words)-i); n >= 2; n-- {
		if r.idioms[strings.Join(words[i:i+n], " ")] {
			return n
		}
	}
	return 0
}

// language guesses whether words are English or Spanish.
func language(words []string) int {
	es, en := 0, 0
	for _, w := range words {
		if englishWords[w] {
			en++
		}
		if spanishWords[w] {
			es++
		}
	}
	if en > es {
		return langEN
	}
	return langES
}

// stem returns a word's Snowball stem. Normalize took the accents off;
// -cion gets its accent back, which the Spanish stemmer needs.
func stem(w string, lang int) string {
	if isNumber(w) || len(w) < 3 {
		return w
	}
	if lang == langEN {
		return english.Stem(w, true)
	}
	if strings.HasSuffix(w, "cion") {
		w = strings.TrimSuffix(w, "cion") + "ción"
	} else if strings.HasSuffix(w, "ciones") {
		w = strings.TrimSuffix(w, "ciones") + "ciones"
	}
	return spanish.Stem(w, true)
}

// marks splits words into tokens with their negation marks, dropping the
// negation words themselves and the stopwords.
func marks(words []string, out []token) []token {
	span := 0
	for _, w := range words {
		switch {
		case negations[w]:
			span = negSpan
			continue
		case breaks[w]:
			span = 0
		}
		neg := span > 0
		if span > 0 {
			span--
		}
		if stopwords[w] {
			continue
		}
		out = append(out, token{word: w, negated: neg})
	}
	return out
}

// numberFeature stands for any number: "15" in "tengo 15 años" is learnt as
// a number, not as that one (ages have ageFeature).
const numberFeature = "#n"

func isNumber(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// ageFeature is the feature a first-person age under 18 adds ("tengo 15
// años", "soy de 16"): the reader cannot learn every number from examples.
const ageFeature = "#menor18"

var ageUnits = map[string]bool{"anos": true, "ano": true, "anitos": true, "years": true, "yo": true, "year": true, "old": true, "y": true, "pero": true, "and": true, "but": true}

// underAge returns the index of a number from 10 to 17 the writer says
// of herself ("tengo 15", "soy de 16 años", "i am 15"), or -1.
func underAge(words []string) int {
	for i, w := range words {
		if len(w) != 2 || !isNumber(w) {
			continue
		}
		if n, _ := strconv.Atoi(w); n < 10 || n > 17 {
			continue
		}
		if i+1 < len(words) && !ageUnits[words[i+1]] {
			continue // "tengo 15 quetzales"
		}
		for j := max(0, i-3); j < i; j++ {
			switch words[j] {
			case "tengo", "cumpli", "soy", "am", "i", "apenas", "solo":
				return i
			}
		}
	}
	return -1
}

// maxWords bounds the words read in one message; what matters is said
// early, and a message longer than this is rare.
const maxWords = 64

// sounds folds the spellings Spanish writers mix up because they sound
// alike (b/v, s/z/soft c, k/qu/hard c, j/soft g, silent h), so "biolaron"
// and "nesesito" meet "violaron" and "necesito".
func sounds(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for i := 0; i < len(w); i++ {
		c := w[i]
		var next byte
		if i+1 < len(w) {
			next = w[i+1]
		}
		soft := next == 'e' || next == 'i'
		switch {
		case c == 'v':
			c = 'b'
		case c == 'z', c == 'c' && soft, c == 'x':
			c = 's'
		case c == 'q' && next == 'u':
			c = 'k'
			i++ // the u of qu is not said
		case c == 'c' && next != 'h':
			c = 'k'
		case c == 'g' && soft:
			c = 'j'
		case c == 'h' && (i == 0 || w[i-1] != 'c'):
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
