package console_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/console"
	"github.com/senda-org/senda/bot/rkey"
)

// demoTemplate is the template consoledemo offers: "Hay información nueva
// de {{1}} para el {{2}}. …".
const demoTemplate = "HX0123456789abcdef0123456789abcdef"

func TestTemplateVariables(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	c := e.client()
	csrf := e.signIn(c)

	got := e.do(c, "GET", "/admin/avisos", nil)
	for _, want := range []string{`name="var_` + demoTemplate + `_1"`, "Valor para {{1}}", "Valor para {{2}}", "Ejemplo de cuando se aprobó: lunes"} {
		if !strings.Contains(got.body, want) {
			t.Errorf("the Avisos page lacks %q", want)
		}
	}

	form := func(vars map[string]string) url.Values {
		f := url.Values{"csrf": {csrf}, "topic": {"salud"}, "text_es": {"Jornada de salud el lunes."}, "template": {demoTemplate}, "action": {"create"}}
		for k, v := range vars {
			f.Set("var_"+demoTemplate+"_"+k, v)
		}
		// Another template's fields in the same form are not read.
		f.Set("var_HXffffffffffffffffffffffffffffffff_7", "otro")
		return f
	}
	refuseBadVars(t, e, c, form)
	if list, _ := e.demo.Store.List(ctx, 10); len(list) != 0 {
		t.Fatalf("bad variables created %d broadcasts", len(list))
	}

	// The preview shows the template filled in, on the lock screen too.
	f := form(map[string]string{"1": " salud ", "2": "lunes"})
	f.Set("action", "preview")
	got = e.do(c, "POST", "/admin/avisos", f)
	if !strings.Contains(got.body, "Hay información nueva de salud para el lunes.") {
		t.Errorf("the preview does not show the template filled in")
	}

	got = e.do(c, "POST", "/admin/avisos", form(map[string]string{"1": " salud ", "2": "lunes"}))
	if got.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", got.status, got.body)
	}
	list, err := e.demo.Store.List(ctx, 10)
	if err != nil || len(list) != 1 || !list[0].Template {
		t.Fatalf("list: %+v %v", list, err)
	}
	raw, err := e.rdb.HGet(ctx, rkey.Space(e.prefix).Broadcast(list[0].ID), "tpl").Result()
	if err != nil {
		t.Fatal(err)
	}
	var tpl broadcast.Template
	if err := json.Unmarshal([]byte(raw), &tpl); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"1": "salud", "2": "lunes"}; tpl.ContentSID != demoTemplate || !maps.Equal(tpl.Variables, want) {
		t.Errorf("stored template %+v; want %s with %v", tpl, demoTemplate, want)
	}
}

func TestTemplateNamedVariableRefused(t *testing.T) {
	e := setup(t, func(o *console.Options) {
		o.Templates = console.StaticTemplates{{SID: demoTemplate, Name: "con_nombre", Language: "es",
			Body: "Hola {{nombre}}", Variables: []console.TemplateVariable{{Key: "nombre"}}}}
	})
	c := e.client()
	csrf := e.signIn(c)
	got := e.do(c, "POST", "/admin/avisos", url.Values{"csrf": {csrf}, "topic": {"salud"}, "text_es": {"Hola."}, "template": {demoTemplate},
		"var_" + demoTemplate + "_nombre": {"Ana"}, "action": {"create"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "que la consola no sabe llenar") {
		t.Fatalf("%d; a named variable should be refused in Spanish", got.status)
	}
}

// refuseBadVars posts bad template variables: each is refused in Spanish
// and the form comes back as typed.
func refuseBadVars(t *testing.T, e *env, c *http.Client, form func(map[string]string) url.Values) {
	bad := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"empty", map[string]string{"1": "salud", "2": "  "}, "Falta el valor para {{2}}"},
		{"missing", map[string]string{"1": "salud"}, "Falta el valor para {{2}}"},
		{"not declared", map[string]string{"1": "salud", "2": "lunes", "3": "extra"}, "La plantilla no tiene {{3}}"},
		{"two lines", map[string]string{"1": "salud\ny más", "2": "lunes"}, "una sola línea"},
		{"too long", map[string]string{"1": strings.Repeat("a", 1025), "2": "lunes"}, "demasiado largo (máximo 1024"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got := e.do(c, "POST", "/admin/avisos", form(tc.vars))
			if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, tc.want) {
				t.Fatalf("%d; want 422 with %q", got.status, tc.want)
			}
			// The form is kept: the text, the template chosen, its values.
			for _, keep := range []string{"Jornada de salud el lunes.", `value="` + demoTemplate + `" selected`} {
				if !strings.Contains(got.body, keep) {
					t.Errorf("the form lost %q", keep)
				}
			}
			if v := tc.vars["1"]; v != "" && !strings.Contains(v, "\n") && !strings.Contains(got.body, `value="`+v+`"`) {
				t.Errorf("the form lost the value typed for {{1}}")
			}
		})
	}
}
