package content

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize folds what a person types into the form keywords and commands are
// matched in: lower case, accents removed, punctuation and symbols turned into
// spaces, runs of spaces collapsed, and runs of the same letter collapsed
// ("Máaas!" and "mas" both become "mas"). Digits are kept as they are.
//
// Both the pack's words and every input go through it, so two words that
// normalize alike are the same word; the validator reports such duplicates.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var prev rune
	space := false
	for _, r := range s {
		r = fold(r)
		switch {
		case r == 0:
			continue
		case unicode.IsLetter(r):
			if r == prev {
				continue
			}
		case unicode.IsDigit(r):
		default:
			// Apostrophes join a word (Kaqchikel writes glottal stops with
			// them: "k'o"), everything else separates words.
			if r == '\'' {
				continue
			}
			space = b.Len() > 0
			prev = 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// fold lowers r and removes its accent. It returns 0 for marks that should
// vanish (combining accents typed as separate characters).
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}
	if unicode.Is(unicode.Mn, r) {
		return 0
	}
	r = unicode.ToLower(r)
	if unicode.IsUpper(r) || unicode.IsTitle(r) {
		// Letters with no lower-case form (ℂ, 𝐀: letterlike and
		// mathematical symbols) are symbols, so they separate words.
		return ' '
	}
	if f, ok := accentFold[r]; ok {
		return f
	}
	return r
}

// accentFold maps lower-case Latin letters with diacritics to their base
// letter. It covers Spanish, English and the Latin letters Mayan alphabets use.
var accentFold = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'å': 'a', 'ā': 'a',
	'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e', 'ē': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ī': 'i',
	'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o', 'ō': 'o', 'ø': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u', 'ū': 'u',
	'ñ': 'n', 'ç': 'c', 'ý': 'y', 'ÿ': 'y',
	'\u2019': '\'', '\u2018': '\'', // curly apostrophes join words like '
}

// gsmBasic is the GSM 03.38 default alphabet: each costs one septet.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtended is the GSM 03.38 extension table: each costs two septets.
const gsmExtended = "^{}\\[~]|€\f"

// gsmTransliteration replaces characters outside GSM-7 with the closest
// characters inside it. Spanish á í ó ú are the reason this exists: one of them
// turns a whole SMS into UCS-2 and more than halves what fits in a segment.
var gsmTransliteration = map[rune]string{
	'á': "a", 'í': "i", 'ó': "o", 'ú': "u", 'Á': "A", 'Í': "I", 'Ó': "O", 'Ú': "U",
	'â': "a", 'ê': "e", 'î': "i", 'ô': "o", 'û': "u", 'Â': "A", 'Ê': "E", 'Î': "I", 'Ô': "O", 'Û': "U",
	'ã': "a", 'õ': "o", 'Ã': "A", 'Õ': "O", 'ë': "e", 'ï': "i", 'Ë': "E", 'Ï': "I",
	'È': "E", 'Ì': "I", 'Ò': "O", 'Ù': "U", 'À': "A", 'ç': "c", 'ý': "y", 'Ý': "Y",
	'\u2018': "'", '\u2019': "'", '\u201c': "\"", '\u201d': "\"", '«': "\"", '»': "\"",
	'\u2013': "-", '\u2014': "-", '\u2026': "...", '·': "-", '•': "-", '\u00a0': " ",
	'\t': " ",
}

// IsGSM7 reports whether r can be sent in the GSM-7 alphabet.
func IsGSM7(r rune) bool {
	return strings.ContainsRune(gsmBasic, r) || strings.ContainsRune(gsmExtended, r)
}

// ToGSM7 transliterates s into the GSM-7 alphabet. It returns the result and
// the characters it could not map (replaced by '?'), so callers can report them.
func ToGSM7(s string) (string, []rune) {
	if isAllGSM7(s) {
		return s, nil
	}
	var b strings.Builder
	var unmapped []rune
	for _, r := range s {
		switch {
		case IsGSM7(r):
			b.WriteRune(r)
		case gsmTransliteration[r] != "":
			b.WriteString(gsmTransliteration[r])
		default:
			b.WriteByte('?')
			unmapped = append(unmapped, r)
		}
	}
	return b.String(), unmapped
}

func isAllGSM7(s string) bool {
	for _, r := range s {
		if !IsGSM7(r) {
			return false
		}
	}
	return true
}

// Encoding is how an SMS body is encoded on the air.
type Encoding string

// The two SMS encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// SMSSize describes what a body costs as SMS.
type SMSSize struct {
	Encoding Encoding
	Units    int // septets for GSM-7, UTF-16 code units for UCS-2
	Segments int
}

// MeasureSMS reports the encoding, length and segment count of body sent as SMS
// unchanged: 160 septets (153 per part when split) in GSM-7, 70 code units (67)
// in UCS-2.
func MeasureSMS(body string) SMSSize {
	if isAllGSM7(body) {
		n := gsmLen(body)
		return SMSSize{Encoding: GSM7, Units: n, Segments: segments(n, 160, 153)}
	}
	n := 0
	for _, r := range body {
		n += utf16Len(r)
	}
	return SMSSize{Encoding: UCS2, Units: n, Segments: segments(n, 70, 67)}
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

func segments(n, single, part int) int {
	switch {
	case n == 0:
		return 0
	case n <= single:
		return 1
	default:
		return (n + part - 1) / part
	}
}

// gsmLen is the septet length of s, which must be GSM-7 already.
func gsmLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if strings.ContainsRune(gsmExtended, r) {
			n++
		}
	}
	return n
}
