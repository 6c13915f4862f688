package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The phrase tester shows the page a phrase reaches, its score and the
// runner-up, and keeps nothing.
func TestPhraseTester(t *testing.T) {
	e := setup(t)
	c := e.client()
	csrf := e.signIn(c)
	got := e.do(c, "POST", "/admin/contenido/frase", url.Values{"csrf": {csrf}, "phrase": {"se me rompió el forro con un cliente"}})
	if got.status != http.StatusOK {
		t.Fatalf("phrase: %d", got.status)
	}
	for _, want := range []string{"Llega a", "<dd>condon_roto</dd>", "condon_roto (", "Siguiente"} {
		if !strings.Contains(got.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := e.do(c, "POST", "/admin/contenido/frase", url.Values{"phrase": {"hola"}}); got.status == http.StatusOK {
		t.Error("a phrase without the form's token was read")
	}
}
