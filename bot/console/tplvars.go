package console

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// WhatsApp template variables on the Avisos page. Each variable a template
// declares gets a field named var_<SID>_<number>, so several templates'
// fields can sit in one form and only the chosen one's are read.

const (
	maxVarChars = 1024 // what the broadcast package accepts
	maxVarsRead = 100  // posted variable fields read for one template
)

// templateRow is a template as the Avisos page offers it: its fields, and
// its text filled in with what was typed, for the preview.
type templateRow struct {
	Template
	Selected bool
	Fields   []varField
	Filled   string // Body with the typed values in place of their placeholders
	Lock     string // Filled as a lock screen shows it
}

type varField struct {
	Key, Sample, Value, Name string
}

func varPrefix(sid string) string { return "var_" + sid + "_" }

func templateRows(ts []Template, f composeForm) []templateRow {
	out := make([]templateRow, 0, len(ts))
	for _, t := range ts {
		r := templateRow{Template: t, Selected: t.SID == f.Template}
		var vals map[string]string
		if r.Selected {
			vals = f.Vars
		}
		for _, v := range t.Variables {
			r.Fields = append(r.Fields, varField{Key: v.Key, Sample: v.Sample, Value: vals[v.Key], Name: varPrefix(t.SID) + v.Key})
		}
		r.Filled = t.Fill(vals)
		r.Lock = lockScreen(r.Filled)
		out = append(out, r)
	}
	return out
}

// postedVars reads the variable fields of the chosen template.
func postedVars(ec echo.Context, sid string) map[string]string {
	if sid == "" {
		return nil
	}
	params, err := ec.FormParams()
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if k, ok := strings.CutPrefix(name, varPrefix(sid)); ok && len(out) < maxVarsRead {
			out[k] = params.Get(name)
		}
	}
	return out
}

// templateVars checks the chosen template's variables as typed against what
// the template declares: numbered 1 to N, each filled in, on one line, not
// too long, and none it does not declare. It returns them as the broadcast
// request takes them, or the problems in the page's language.
func (c *Console) templateVars(ctx context.Context, v view, f composeForm) (map[string]string, []string) {
	declared, name := c.declaredVars(ctx, f)
	var problems []string
	out := map[string]string{}
	for _, k := range declared {
		if n, err := strconv.Atoi(k); err != nil || n < 1 || n > len(declared) {
			problems = append(problems, v.Tf("tplvar_bad_key", k, name, len(declared)))
			continue
		}
		val := strings.TrimSpace(f.Vars[k])
		switch {
		case val == "":
			problems = append(problems, v.Tf("tplvar_empty", k))
		case len([]rune(val)) > maxVarChars:
			problems = append(problems, v.Tf("tplvar_long", k, maxVarChars))
		case strings.ContainsAny(val, "\r\n\t") || strings.Contains(val, "    "):
			problems = append(problems, v.Tf("tplvar_lines", k))
		default:
			out[k] = val
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.Vars)) {
		if !slices.Contains(declared, k) {
			problems = append(problems, v.Tf("tplvar_extra", k, name))
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return out, problems
}

// declaredVars returns the keys of the variables the chosen template
// declares, and its name. When the template is not in the list (the list
// could not be read), the numbers typed stand for what it declares and the
// broadcast's own checks judge the rest.
func (c *Console) declaredVars(ctx context.Context, f composeForm) ([]string, string) {
	if c.opts.Templates != nil {
		if ts, err := c.opts.Templates.List(ctx); err == nil {
			for _, t := range ts {
				if t.SID == f.Template {
					keys := make([]string, 0, len(t.Variables))
					for _, tv := range t.Variables {
						keys = append(keys, tv.Key)
					}
					return keys, t.Name
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(f.Vars)), f.Template
}
