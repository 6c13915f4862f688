package twilio

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Template is an approved WhatsApp template (Content API).
type Template struct {
	SID      string // HX…
	Name     string
	Language string
	// Body is the template's text with its {{1}} placeholders, when the
	// listing gives one; the Avisos page previews it filled in.
	Body string
	// Variables are the placeholders the template declares, in order; the
	// Avisos page asks for a value for each.
	Variables []TemplateVariable
}

// TemplateVariable is one placeholder of a template: its number ("1" for
// {{1}}) and the sample value given when the template was submitted.
type TemplateVariable struct {
	Key    string
	Sample string
}

// DefaultContentBase is Twilio's Content API, which lists templates.
const DefaultContentBase = "https://content.twilio.com"

// TemplatesCacheFor is how long ContentTemplates keeps the list, so the
// Avisos page does not wait for Twilio on every load.
const TemplatesCacheFor = 5 * time.Minute

// ContentTemplates lists the account's WhatsApp templates whose approval
// status is "approved", through Twilio's Content API, with the same
// credentials as the sender (Config.credentials). The list is kept for
// TemplatesCacheFor. It is safe for concurrent use.
type ContentTemplates struct {
	user, password string
	base           string       // contentBase
	http           *http.Client // with the configured per-request timeout
	now            func() time.Time

	mu      sync.Mutex
	cached  []Template
	fetched time.Time
}

// NewContentTemplates builds the template lister from the account and
// credentials of cfg; now is the clock of the cache (time.Now when nil).
func NewContentTemplates(cfg Config, now func() time.Time) (*ContentTemplates, error) {
	if p := cfg.credentialProblems(); len(p) > 0 {
		return nil, errors.New(strings.Join(p, " "))
	}
	base, err := contentBase(cfg.APIBase)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	user, password := cfg.credentials()
	return &ContentTemplates{user: user, password: password, base: base,
		http: &http.Client{Timeout: cmp.Or(cfg.Timeout, DefaultTimeout)}, now: now}, nil
}

// contentBase is where the Content API answers: Twilio's own, unless
// SENDA_TWILIO_API_BASE points at a Twilio-compatible mock, which then
// answers for both APIs.
func contentBase(apiBase string) (string, error) {
	if apiBase == "" || apiBase == DefaultAPIBase {
		return DefaultContentBase, nil
	}
	u, err := parseBase(apiBase)
	if err != nil {
		return "", errors.New("SENDA_TWILIO_API_BASE must be an absolute http(s) URL without query or fragment, like https://api.twilio.com.")
	}
	return u.String(), nil
}

// contentPage is one page of GET /v1/ContentAndApprovals.
type contentPage struct {
	Contents []struct {
		SID              string                 `json:"sid"`
		FriendlyName     string                 `json:"friendly_name"`
		Language         string                 `json:"language"`
		ApprovalRequests map[string]any         `json:"approval_requests"`
		Variables        map[string]string      `json:"variables"`
		Types            map[string]contentType `json:"types"`
	} `json:"contents"`
	Meta struct {
		NextPageURL string `json:"next_page_url"`
	} `json:"meta"`
}

// contentType is one of a template's content types, e.g. "twilio/text".
type contentType struct {
	Body  string `json:"body"`
	Title string `json:"title"`
}

// maxTemplatePages bounds how many pages of templates are read.
const maxTemplatePages = 5

// List returns the approved templates, sorted by name and language.
func (t *ContentTemplates) List(ctx context.Context) ([]Template, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cached != nil && t.now().Sub(t.fetched) < TemplatesCacheFor {
		return t.cached, nil
	}
	next := t.base + "/v1/ContentAndApprovals?PageSize=200"
	out := []Template{}
	for range maxTemplatePages {
		page, err := t.fetch(ctx, next)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Contents {
			if approvalStatus(c.ApprovalRequests) == "approved" {
				body := templateBody(c.Types)
				out = append(out, Template{SID: c.SID, Name: c.FriendlyName, Language: c.Language,
					Body: body, Variables: templateVariables(c.Variables, body)})
			}
		}
		if page.Meta.NextPageURL == "" {
			break
		}
		u, err := url.Parse(page.Meta.NextPageURL)
		if err != nil {
			break
		}
		next = t.base + u.RequestURI() // stay on the configured host
	}
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.Name+a.Language, b.Name+b.Language) })
	t.cached, t.fetched = out, t.now()
	return out, nil
}

func (t *ContentTemplates) fetch(ctx context.Context, u string) (contentPage, error) {
	var page contentPage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return page, fmt.Errorf("twilio: templates: %w", err)
	}
	req.SetBasicAuth(t.user, t.password)
	res, err := t.http.Do(req)
	if err != nil {
		return page, fmt.Errorf("twilio: templates: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return page, fmt.Errorf("twilio: templates: Twilio Content API answered %s", res.Status)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 8<<20)).Decode(&page); err != nil {
		return page, fmt.Errorf("twilio: templates: %w", err)
	}
	return page, nil
}

// approvalStatus reads the WhatsApp approval status, which the Content API
// gives either directly or under "whatsapp".
func approvalStatus(m map[string]any) string {
	if s, ok := m["status"].(string); ok {
		return s
	}
	if w, ok := m["whatsapp"].(map[string]any); ok {
		s, _ := w["status"].(string)
		return s
	}
	return ""
}

// templateBody is the text a template shows: its twilio/text body, else the
// first body or title of its other types (quick replies, cards, …).
func templateBody(types map[string]contentType) string {
	if t, ok := types["twilio/text"]; ok && t.Body != "" {
		return t.Body
	}
	for _, k := range slices.Sorted(maps.Keys(types)) {
		if t := types[k]; t.Body != "" {
			return t.Body
		} else if t.Title != "" {
			return t.Title
		}
	}
	return ""
}

// placeholderPattern finds {{1}}-style placeholders in a template's text.
var placeholderPattern = regexp.MustCompile(`\{\{\s*([0-9A-Za-z_]+)\s*\}\}`)

// Fill is the template's text with the values given in place of its
// placeholders, those without a value (or only spaces) left as they are:
// the preview of what a person will read.
func (t Template) Fill(vals map[string]string) string {
	return placeholderPattern.ReplaceAllStringFunc(t.Body, func(m string) string {
		k := placeholderPattern.FindStringSubmatch(m)[1]
		if v := strings.TrimSpace(vals[k]); v != "" {
			return v
		}
		return m
	})
}

// templateVariables lists a template's variables: those it declares with
// their samples, and any placeholder its text uses without declaring it;
// numbers in numeric order, then any named ones.
func templateVariables(declared map[string]string, body string) []TemplateVariable {
	samples := maps.Clone(declared)
	if samples == nil {
		samples = map[string]string{}
	}
	for _, m := range placeholderPattern.FindAllStringSubmatch(body, -1) {
		if _, ok := samples[m[1]]; !ok {
			samples[m[1]] = ""
		}
	}
	out := make([]TemplateVariable, 0, len(samples))
	for k, v := range samples {
		out = append(out, TemplateVariable{Key: k, Sample: v})
	}
	slices.SortFunc(out, func(a, b TemplateVariable) int {
		na, ea := strconv.Atoi(a.Key)
		nb, eb := strconv.Atoi(b.Key)
		switch {
		case ea == nil && eb == nil:
			return na - nb
		case ea == nil:
			return -1
		case eb == nil:
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}
