package content_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/senda-org/senda/content"
)

// Keywords and commands are matched without regard to case, accents,
// surrounding spaces or punctuation (README.md, "What people can send");
// Normalize is that rule.
func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"  Más!! ", "mas"},
		{"ATRÁS", "atras"},
		{"Ñandú", "nandu"},
		{"MAS", "mas"},
		{"más.", "mas"},
		{"Máaas", "mas"}, // a held key is still MAS
		{"¿Ayuda?", "ayuda"},
		{"¡SALIR!", "salir"},
		{"Español", "espanol"},
		{"ENGLISH", "english"},
		{"Sí", "si"},
		{"INICIO", "inicio"},
		{"Clínica", "clinica"},
		{"Über", "uber"},
		{"e\u0301xito", "exito"}, // an accent typed as a separate combining mark
		{"hola   mundo", "hola mundo"},
		{"hola,mundo", "hola mundo"},
		{"salud-sexual", "salud sexual"},
		{"\tvih\n", "vih"},
		{"1", "1"},
		{" 0 ", "0"},
		{"#2", "2"},
		{"abc123", "abc123"},
		{"", ""},
		{"   ", ""},
		{"!!!", ""},
		{"😀 hola 😀", "hola"},
		// Letters without a lower-case form (mathematical and letterlike
		// symbols) are symbols, not upper-case words.
		{"ℂ", ""},
		{"ℂhola", "hola"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := content.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Kaqchikel writes glottal stops with an apostrophe (k'o, "there is"); the
// word must stay one word, whichever apostrophe the phone sends.
func TestNormalizeKeepsApostropheWordsWhole(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"k'o", "K'O", "k’o", "k‘o"} {
		got := content.Normalize(in)
		if strings.Contains(got, " ") || got == "" {
			t.Errorf("Normalize(%q) = %q, want one word", in, got)
		}
		if want := content.Normalize("k'o"); got != want {
			t.Errorf("Normalize(%q) = %q, want %q like the straight apostrophe", in, got, want)
		}
	}
	if got := content.Normalize("k'o"); got != "ko" {
		t.Errorf(`Normalize("k'o") = %q, want "ko"`, got)
	}
}

func TestToGSM7(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     string
		unmapped string
	}{
		{"plain", "Hola, elige un numero:", "Hola, elige un numero:", ""},
		{"accented vowels", "Atrás áíóú ÁÍÓÚ", "Atras aiou AIOU", ""},
		{"gsm letters kept", "¿Qué? ¡Sí! ñÑ üÜ é É à", "¿Qué? ¡Si! ñÑ üÜ é É à", ""},
		{"Ñandú", "Ñandú", "Ñandu", ""},
		{"typographic quotes and dashes", "“la renta” – ‘sí’ — …", "\"la renta\" - 'si' - ...", ""},
		{"extension characters kept", "€5 {x} [y] ~ | ^ \\", "€5 {x} [y] ~ | ^ \\", ""},
		{"tab and nbsp", "a\tb\u00a0c", "a b c", ""},
		{"emoji", "hola 😀", "hola ?", "😀"},
		{"cjk", "中文", "??", "中文"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, unmapped := content.ToGSM7(tt.in)
			if got != tt.want {
				t.Errorf("ToGSM7(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if string(unmapped) != tt.unmapped {
				t.Errorf("ToGSM7(%q) unmapped = %q, want %q", tt.in, string(unmapped), tt.unmapped)
			}
			if m := content.MeasureSMS(got); got != "" && m.Encoding != content.GSM7 {
				t.Errorf("ToGSM7(%q) = %q, which is still %s", tt.in, got, m.Encoding)
			}
		})
	}
}

// Spanish á í ó ú Á Í Ó Ú are not in the GSM-7 alphabet, é ñ ü ¿ ¡ are
// (docs/CONTENT.md says what SMS does about it).
func TestIsGSM7SpanishLetters(t *testing.T) {
	t.Parallel()
	for _, r := range "áíóúÁÍÓÚ" {
		if content.IsGSM7(r) {
			t.Errorf("IsGSM7(%q) = true, want false", r)
		}
	}
	for _, r := range "éñü¿¡ÑÜÉ" {
		if !content.IsGSM7(r) {
			t.Errorf("IsGSM7(%q) = false, want true", r)
		}
	}
}

func TestMeasureSMS(t *testing.T) {
	t.Parallel()
	r := strings.Repeat
	tests := []struct {
		name     string
		body     string
		encoding content.Encoding
		units    int
		segments int
	}{
		{"empty", "", content.GSM7, 0, 0},
		{"one char", "a", content.GSM7, 1, 1},
		{"160 gsm fits one segment", r("a", 160), content.GSM7, 160, 1},
		{"161 gsm needs two", r("a", 161), content.GSM7, 161, 2},
		{"306 gsm is two parts of 153", r("a", 306), content.GSM7, 306, 2},
		{"307 gsm needs three", r("a", 307), content.GSM7, 307, 3},
		{"gsm letters é ñ ü ¿ ¡ stay gsm", r("ñ", 100) + r("é¿¡ü", 15), content.GSM7, 160, 1},
		{"extension chars count two", "{}", content.GSM7, 4, 1},
		{"80 euro signs are 160 septets", r("€", 80), content.GSM7, 160, 1},
		{"81 euro signs are 162 septets", r("€", 81), content.GSM7, 162, 2},
		{"159 plus one extension char", r("a", 159) + "^", content.GSM7, 161, 2},
		{"one á makes it ucs-2", r("a", 69) + "á", content.UCS2, 70, 1},
		{"71 ucs-2 units need two", r("a", 70) + "á", content.UCS2, 71, 2},
		{"134 ucs-2 units are two parts of 67", r("á", 134), content.UCS2, 134, 2},
		{"135 ucs-2 units need three", r("á", 135), content.UCS2, 135, 3},
		{"a 160 char gsm text with one á", r("a", 159) + "á", content.UCS2, 160, 3},
		{"emoji are two utf-16 units", r("😀", 35), content.UCS2, 70, 1},
		{"36 emoji need two", r("😀", 36), content.UCS2, 72, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := content.MeasureSMS(tt.body)
			want := content.SMSSize{Encoding: tt.encoding, Units: tt.units, Segments: tt.segments}
			if got != want {
				t.Errorf("MeasureSMS(%d runes) = %+v, want %+v", len([]rune(tt.body)), got, want)
			}
		})
	}
}

func TestSMSSettingsBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		segments, want int
	}{
		{0, 160}, {1, 160}, {2, 306}, {3, 459},
	}
	for _, tt := range tests {
		if got := (content.SMSSettings{Segments: tt.segments}).Budget(); got != tt.want {
			t.Errorf("Budget() with %d segments = %d, want %d", tt.segments, got, tt.want)
		}
	}
}

func TestParseChannel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want content.Channel
		ok   bool
	}{
		{"sms", content.SMS, true},
		{" SMS ", content.SMS, true},
		{"whatsapp", content.WhatsApp, true},
		{"WA", content.WhatsApp, true},
		{"telegram", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := content.ParseChannel(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseChannel(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if back, err := content.ParseChannel(got.String()); tt.ok && (err != nil || back != got) {
			t.Errorf("ParseChannel(%v.String()) = %v, %v; want the channel back", got, back, err)
		}
	}
}

// FuzzNormalize checks the properties matching relies on: normalizing twice
// changes nothing (pack words and inputs meet in one form), and the form has
// no upper-case letters and no spaces at either end.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " ", "  Más!! ", "ATRÁS", "Ñandú", "k'o", "k’o", "a'a", "a' a", "Máaas",
		"e\u0301", "ℂ", "ǅ", "İstanbul", "ß", "ẞ", "\xff\xfe", "1 2 3", "SALIR", "¿¡", "a\u0301a", "Aa", "ΣΑΣ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := content.Normalize(s)
		if again := content.Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, again)
		}
		if strings.TrimSpace(n) != n {
			t.Fatalf("Normalize(%q) = %q has spaces at an end", s, n)
		}
		if i := strings.IndexFunc(n, func(r rune) bool { return unicode.IsUpper(r) || unicode.IsTitle(r) }); i >= 0 {
			t.Fatalf("Normalize(%q) = %q has an upper-case letter at byte %d", s, n, i)
		}
		if strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q has a run of spaces", s, n)
		}
		if slices.ContainsFunc([]rune(n), func(r rune) bool { return r != ' ' && unicode.IsSpace(r) }) {
			t.Fatalf("Normalize(%q) = %q keeps a space that is not ' '", s, n)
		}
	})
}
