package conversation

import (
	"context"
	"errors"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/reports"
	"github.com/senda-org/senda/flows"
)

// WithReports lets people send reports (AVISAR): drafts are sealed in the
// conversation's state with seal, and a finished report is filed in store.
// Without it AVISAR says this line takes no reports.
func WithReports(store *reports.Store, seal flows.Sealer) Option {
	return func(o *options) { o.reports, o.reportSeal = store, seal }
}

// reportFiler files a step's finished report before its state is stored,
// so that when Redis fails the person is told to try later, the draft is
// still in the stored state, and sending the same answer again files it.
// A step that is computed again (another request changed the conversation
// in between) does not file it twice.
type reportFiler struct {
	store *reports.Store
	filed bool
}

// file files r.Report when r asks for it. A sender at the daily limit gets
// "too many today" instead of the receipt. Nothing is logged or counted
// here: a log line or a metric would put a time on the report.
func (f *reportFiler) file(ctx context.Context, eng *flows.Engine, id ident.SenderID, r flows.Result) (flows.Result, error) {
	if r.Effect.Kind != flows.EffectReportSubmit || r.Report == nil {
		return r, nil
	}
	if f.store == nil {
		return r, errors.New("reports: a report was finished on a line without a report store")
	}
	if !f.filed {
		_, err := f.store.Submit(ctx, id, *r.Report)
		switch {
		case errors.Is(err, reports.ErrLimited):
			r.State = eng.ReportLimited(r.State)
		case err != nil:
			return r, err
		}
		f.filed = true
	}
	r.Report, r.Effect = nil, flows.Effect{}
	return r, nil
}
