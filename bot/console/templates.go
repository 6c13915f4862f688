package console

import (
	"context"
	"encoding/json"
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

// ContentTemplates implements Templates with Twilio's Content API: the
// account's WhatsApp templates whose approval status is "approved". The
// list is kept for CacheFor (default five minutes), so the Avisos page does
// not wait for Twilio on every load.
type ContentTemplates struct {
	User, Password string       // an API key and secret, or the account SID and auth token
	BaseURL        string       // default https://content.twilio.com
	HTTP           *http.Client // default: a client with a 10-second timeout
	CacheFor       time.Duration
	Now            func() time.Time

	mu      sync.Mutex
	cached  []Template
	fetched time.Time
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

// List implements Templates.
func (t *ContentTemplates) List(ctx context.Context) ([]Template, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	ttl := t.CacheFor
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cached != nil && now().Sub(t.fetched) < ttl {
		return t.cached, nil
	}
	base := strings.TrimSuffix(t.BaseURL, "/")
	if base == "" {
		base = "https://content.twilio.com"
	}
	hc := t.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	next := base + "/v1/ContentAndApprovals?PageSize=200"
	out := []Template{}
	for range maxTemplatePages {
		page, err := t.fetch(ctx, hc, next)
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
		next = base + u.RequestURI() // stay on the configured host
	}
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.Name+a.Language, b.Name+b.Language) })
	t.cached, t.fetched = out, now()
	return out, nil
}

func (t *ContentTemplates) fetch(ctx context.Context, hc *http.Client, u string) (contentPage, error) {
	var page contentPage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return page, fmt.Errorf("console: templates: %w", err)
	}
	req.SetBasicAuth(t.User, t.Password)
	res, err := hc.Do(req)
	if err != nil {
		return page, fmt.Errorf("console: templates: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return page, fmt.Errorf("console: templates: Twilio Content API answered %s", res.Status)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 8<<20)).Decode(&page); err != nil {
		return page, fmt.Errorf("console: templates: %w", err)
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
