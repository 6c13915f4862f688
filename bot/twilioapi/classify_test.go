package twilioapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/twilioapi"
)

// TestClassifyEveryCode holds every row of the code table to its kind; a row
// added without a line here fails.
func TestClassifyEveryCode(t *testing.T) {
	want := map[int]twilioapi.Kind{
		20429: twilioapi.KindRetry,
		63018: twilioapi.KindRetry,
		20500: twilioapi.KindRetry,
		20503: twilioapi.KindRetry,

		21610: twilioapi.KindOptedOut,
		63014: twilioapi.KindBlocked,

		21211: twilioapi.KindInvalidAddress,
		21614: twilioapi.KindInvalidAddress,
		63003: twilioapi.KindInvalidAddress,
		30003: twilioapi.KindOther, // a phone switched off must not unsubscribe a prepaid user
		30005: twilioapi.KindInvalidAddress,
		30006: twilioapi.KindInvalidAddress,

		21612: twilioapi.KindOther,
		30007: twilioapi.KindOther,
		30008: twilioapi.KindOther,
		63024: twilioapi.KindOther,
		21617: twilioapi.KindOther,
		21602: twilioapi.KindOther,
		21604: twilioapi.KindOther,

		63049: twilioapi.KindMarketingDeclined,
		63016: twilioapi.KindOutsideWindow,

		21603: twilioapi.KindConfig,
		20003: twilioapi.KindConfig,
		20404: twilioapi.KindConfig,
		21222: twilioapi.KindConfig,
		21224: twilioapi.KindConfig,
		21408: twilioapi.KindConfig,
		21606: twilioapi.KindConfig,
		21659: twilioapi.KindConfig,
		63007: twilioapi.KindConfig,
		21704: twilioapi.KindConfig,
		21705: twilioapi.KindConfig,
		30029: twilioapi.KindConfig,
		30030: twilioapi.KindConfig,
		30034: twilioapi.KindConfig,
		63112: twilioapi.KindConfig,
	}
	codes := twilioapi.TableCodes()
	for _, code := range codes {
		k, ok := want[code]
		if !ok {
			t.Errorf("code %d is in the table but not in this test", code)
			continue
		}
		// The code decides whatever the status, callbacks (status 0) included.
		for _, status := range []int{0, 400, 429, 500} {
			if got := twilioapi.Classify(code, status); got != k {
				t.Errorf("Classify(%d, %d) = %s, want %s", code, status, got, k)
			}
		}
		d := twilioapi.Describe(code)
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
		want   twilioapi.Kind
	}{
		{0, twilioapi.KindOther},
		{400, twilioapi.KindOther},
		{404, twilioapi.KindOther},
		{401, twilioapi.KindConfig},
		{403, twilioapi.KindConfig},
		{429, twilioapi.KindRetry},
		{500, twilioapi.KindRetry},
		{503, twilioapi.KindRetry},
		{502, twilioapi.KindUnknown},
		{504, twilioapi.KindUnknown},
	}
	for _, tt := range tests {
		for _, code := range []int{0, 12345} {
			if got := twilioapi.Classify(code, tt.status); got != tt.want {
				t.Errorf("Classify(%d, %d) = %s, want %s", code, tt.status, got, tt.want)
			}
		}
	}
}

func TestDescribeUnknown(t *testing.T) {
	if got := twilioapi.Describe(12345); got != "Twilio error 12345" {
		t.Errorf("Describe(12345) = %q", got)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  twilioapi.Error
		want string
	}{
		{twilioapi.Error{Code: 21610, HTTPStatus: 400, Desc: "recipient opted out (STOP)"}, "twilio: error 21610 (HTTP 400): recipient opted out (STOP)"},
		{twilioapi.Error{Code: 30003, Desc: "unreachable destination handset"}, "twilio: error 30003: unreachable destination handset"},
		{twilioapi.Error{HTTPStatus: 502, Desc: "HTTP error without a Twilio code"}, "twilio: HTTP 502: HTTP error without a Twilio code"},
		{twilioapi.Error{Desc: "no answer"}, "twilio: no answer"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	names := map[twilioapi.Kind]string{
		twilioapi.KindOther: "other", twilioapi.KindRetry: "retry", twilioapi.KindUnknown: "unknown",
		twilioapi.KindOptedOut: "opted_out", twilioapi.KindBlocked: "blocked", twilioapi.KindInvalidAddress: "invalid_address",
		twilioapi.KindMarketingDeclined: "marketing_declined", twilioapi.KindOutsideWindow: "outside_window",
		twilioapi.KindConfig: "config", twilioapi.Kind(42): "kind_42",
	}
	for k, want := range names {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
