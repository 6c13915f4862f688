package flows

import (
	"slices"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
)

func TestSpellingsSynonymsAndIdioms(t *testing.T) {
	t.Parallel()
	// As the loader gives them: normalized.
	p := &content.Pack{Understanding: content.Understanding{
		Synonyms: map[string]string{"bato": "hombre", "chonte": "policia", content.Normalize("impuesto de guerra"): "extorsion"},
		Idioms:   []string{"me muero de", content.Normalize("killing me")},
	}}
	r := newReader(p)
	tests := []struct{ in, want string }{
		{"q onda xq tmb", "que onda porque tambien"},
		{"kiero q me ayudes x fa", "quiero que me ayudes por fa"},
		{"un bato y un chonte", "un hombre y un policia"},
		{"me cobran impuesto de guerra", "me cobran extorsion"},
		{"me muero de risa", "risa"},
		{"this heat is killing me", "this heat is"},
		{"tengo quince anos", "tengo 15 anos"},
		{"c me rompio", "se me rompio"},
	}
	for _, tt := range tests {
		got := r.expand(content.Normalize(tt.in), nil)
		if want := splitWords(tt.want); !slices.Equal(got, want) {
			t.Errorf("expand(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

func splitWords(s string) []string {
	var out []string
	for w := range strings.FieldsSeq(s) {
		out = append(out, w)
	}
	return out
}

func TestNegationMarks(t *testing.T) {
	t.Parallel()
	got := marks([]string{"no", "me", "pego", "pero", "me", "grito"}, nil)
	want := []token{{"me", true}, {"pego", true}, {"me", false}, {"grito", false}}
	if !slices.Equal(got, want) {
		t.Errorf("marks = %v, want %v", got, want)
	}
}

func TestUnderAge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"tengo 15 anos", true},
		{"soy de 16", true},
		{"i am 14 years old", true},
		{"tengo 15 quetzales", false},
		{"tengo 28 anos", false},
		{"mi hija tiene 15 anos", false},
		{"en 15 minutos", false},
	}
	for _, tt := range tests {
		if got := underAge(splitWords(tt.in)) >= 0; got != tt.want {
			t.Errorf("underAge(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStemRestoresTheAccentSnowballNeeds(t *testing.T) {
	t.Parallel()
	if a, b := stem("violacion", langES), stem("violación", langES); a != b {
		t.Errorf("stem(violacion) = %q, stem(violación) = %q", a, b)
	}
	if stem("pegaron", langES) != stem("pego", langES) {
		t.Errorf("pegaron and pego stem apart: %q, %q", stem("pegaron", langES), stem("pego", langES))
	}
	if stem("15", langES) != "15" {
		t.Error("a number is not a word to stem")
	}
}

func TestSounds(t *testing.T) {
	t.Parallel()
	for a, b := range map[string]string{"biolaron": "violaron", "nesesito": "necesito", "kiero": "quiero", "ablar": "hablar", "jente": "gente"} {
		if sounds(a) != sounds(b) {
			t.Errorf("sounds(%q) = %q, sounds(%q) = %q", a, sounds(a), b, sounds(b))
		}
	}
	if sounds("pego") == sounds("pago") {
		t.Error("pego and pago sound alike")
	}
}

// BenchmarkTrainReader is the cost of training the default pack's reader,
// paid once per pack when an engine is first built for it (readerFor).
func BenchmarkTrainReader(b *testing.B) {
	p, _, err := content.Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		newReader(p)
	}
}
