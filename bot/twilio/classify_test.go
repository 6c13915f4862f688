package twilio_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/twilio"
)

// TestClassifyEveryCode holds every row of the code table to its kind; a row
// added without a line here fails.
func TestClassifyEveryCode(t *testing.T) {
	want := map[int]twilio.Kind{
		20429: twilio.KindRetry,
		63018: twilio.KindRetry,
		20500: twilio.KindRetry,
		20503: twilio.KindRetry,

		21610: twilio.KindOptedOut,
		63014: twilio.KindBlocked,

		21211: twilio.KindInvalidAddress,
		21614: twilio.KindInvalidAddress,
		63003: twilio.KindInvalidAddress,
		30003: twilio.KindOther, // a phone switched off must not unsubscribe a prepaid user
		30005: twilio.KindInvalidAddress,
		30006: twilio.KindInvalidAddress,

		21612: twilio.KindOther,
		30007: twilio.KindOther,
		30008: twilio.KindOther,
		63024: twilio.KindOther,
		21617: twilio.KindOther,
		21602: twilio.KindOther,
		21604: twilio.KindOther,

		20009: twilio.KindRetry,

		63049: twilio.KindMarketingDeclined,
		63016: twilio.KindOutsideWindow,

		21603: twilio.KindConfig,
		20003: twilio.KindConfig,
		20404: twilio.KindConfig,
		21222: twilio.KindConfig,
		21224: twilio.KindConfig,
		21408: twilio.KindConfig,
		21606: twilio.KindConfig,
		21659: twilio.KindConfig,
		63007: twilio.KindConfig,
		21704: twilio.KindConfig,
		21705: twilio.KindConfig,
		30029: twilio.KindConfig,
		30030: twilio.KindConfig,
		30034: twilio.KindConfig,
		63112: twilio.KindConfig,
	}
	codes := twilio.TableCodes()
	for _, code := range codes {
		k, ok := want[code]
		if !ok {
			t.Errorf("code %d is in the table but not in this test", code)
			continue
		}
		// The code decides whatever the status, callbacks (status 0) included.
		for _, status := range []int{0, 400, 429, 500} {
			if got := twilio.Classify(code, status); got != k {
				t.Errorf("Classify(%d, %d) = %s, want %s", code, status, got, k)
			}
		}
		d := twilio.Describe(code)
		if d == "" || strings.HasPrefix(d, "Twilio error") {
			t.Errorf("Describe(%d) = %q, want the table's description", code, d)
		}
	}
	for code := range want {
		if !slices.Contains(codes, code) {
			t.Errorf("code %d is in this test but not in the table", code)
		}
	}
}

// TestClassifyByStatus covers the rows for codes the table does not know.
func TestClassifyByStatus(t *testing.T) {
	tests := []struct {
		status int
		want   twilio.Kind
	}{
		{0, twilio.KindOther},
		{400, twilio.KindOther},
		{404, twilio.KindOther},
		{401, twilio.KindConfig},
		{403, twilio.KindConfig},
		{429, twilio.KindRetry},
		{500, twilio.KindRetry},
		{503, twilio.KindRetry},
		{502, twilio.KindUnknown},
		{504, twilio.KindUnknown},
	}
	for _, tt := range tests {
		for _, code := range []int{0, 12345} {
			if got := twilio.Classify(code, tt.status); got != tt.want {
				t.Errorf("Classify(%d, %d) = %s, want %s", code, tt.status, got, tt.want)
			}
		}
	}
}

func TestDescribeUnknown(t *testing.T) {
	if got := twilio.Describe(12345); got != "Twilio error 12345" {
		t.Errorf("Describe(12345) = %q", got)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  twilio.Error
		want string
	}{
		{twilio.Error{Code: 21610, HTTPStatus: 400, Desc: "recipient opted out (STOP)"}, "twilio: error 21610 (HTTP 400): recipient opted out (STOP)"},
		{twilio.Error{Code: 30003, Desc: "unreachable destination handset"}, "twilio: error 30003: unreachable destination handset"},
		{twilio.Error{HTTPStatus: 502, Desc: "HTTP error without a Twilio code"}, "twilio: HTTP 502: HTTP error without a Twilio code"},
		{twilio.Error{Desc: "no answer"}, "twilio: no answer"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	names := map[twilio.Kind]string{
		twilio.KindOther: "other", twilio.KindRetry: "retry", twilio.KindUnknown: "unknown",
		twilio.KindOptedOut: "opted_out", twilio.KindBlocked: "blocked", twilio.KindInvalidAddress: "invalid_address",
		twilio.KindMarketingDeclined: "marketing_declined", twilio.KindOutsideWindow: "outside_window",
		twilio.KindConfig: "config", twilio.Kind(42): "kind_42",
	}
	for k, want := range names {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestRecipientAction(t *testing.T) {
	tests := []struct {
		code int
		want twilio.RecipientAction
	}{
		{21610, twilio.ForgetRecipient},  // opted out
		{63049, twilio.SuspendTemplates}, // marketing template declined
		{63018, twilio.KeepRecipient},    // rate limited: retry, keep them
		{20429, twilio.KeepRecipient},
		{0, twilio.KeepRecipient},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			if got := twilio.Classify(tt.code, 0).RecipientAction(); got != tt.want {
				t.Errorf("Classify(%d).RecipientAction() = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
	// Every kind that means the person cannot or will not be reached is
	// forgotten; the table's codes of those kinds all map to it.
	for _, code := range twilio.TableCodes() {
		k := twilio.Classify(code, 0)
		forget := k == twilio.KindOptedOut || k == twilio.KindBlocked || k == twilio.KindInvalidAddress
		if forget != (k.RecipientAction() == twilio.ForgetRecipient) {
			t.Errorf("code %d (%v): RecipientAction %v", code, k, k.RecipientAction())
		}
	}
}

// TestErrorDocs: the console and the CLI link a code to Twilio's page for
// it, the one address both print.
func TestErrorDocs(t *testing.T) {
	t.Parallel()
	if got := twilio.ErrorDocs(21610); got != "twilio.com/docs/api/errors/21610" {
		t.Errorf("ErrorDocs(21610) = %q", got)
	}
}
