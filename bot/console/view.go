package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
)

// pageNames are the templates in templates/, each rendered inside layout.html.
var pageNames = []string{"signin", "error", "home", "broadcasts", "stats", "content", "audit", "reports", "report"}

type pageTemplate = template.Template

func parsePages() (map[string]*pageTemplate, error) {
	out := map[string]*pageTemplate{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page template receives.
type view struct {
	Lang  string // "es" or "en"
	Page  string // the page shown, for the navigation
	Base  string // e.g. "/admin"
	Path  string // this page's path, for the language switch
	Name  string // the signed-in token's name
	CSRF  string
	Error string // a message key
	// ErrorArgs fill in Error's %v verbs.
	ErrorArgs []any
	Errors    []string // problems to fix, already in words
	Notice    string   // a message key
	Note      string   // a sentence shown with the notice
	Data      any
}

// T translates a message key into the page's language.
func (v view) T(key string) string { return translate(v.Lang, key) }

// Tf translates a message key and fills in its %v verbs.
func (v view) Tf(key string, args ...any) string { return fmt.Sprintf(translate(v.Lang, key), args...) }

// ErrorText is Error in the page's language, filled in.
func (v view) ErrorText() string {
	if len(v.ErrorArgs) == 0 {
		return v.T(v.Error)
	}
	return v.Tf(v.Error, v.ErrorArgs...)
}

// Other is the language the switch offers.
func (v view) Other() string {
	if v.Lang == "en" {
		return "es"
	}
	return "en"
}

func (c *Console) view(ec echo.Context, page string) view {
	v := view{Lang: "es", Page: page, Base: c.base, Path: ec.Request().URL.Path}
	if ck, err := ec.Cookie(langCookie); err == nil && ck.Value == "en" {
		v.Lang = "en"
	}
	if s := sessionOf(ec); s != nil {
		v.Name, v.CSRF = s.Name, s.CSRF
	}
	return v
}

func (c *Console) render(ec echo.Context, status int, page string, v view) error {
	var buf bytes.Buffer
	if err := c.pages[page].Execute(&buf, v); err != nil {
		c.log.Error("console: render", "page", page, "err", err)
		return ec.String(http.StatusInternalServerError, "render error")
	}
	return ec.HTMLBlob(status, buf.Bytes())
}
