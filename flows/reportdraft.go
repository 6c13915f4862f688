package flows

import "encoding/binary"

// ReportKinds names what a report can be about, in the order the question
// lists them (option 1 is ReportKinds[0]). The names are what the report
// keeps and staff see; the words people read are the pack's.
var ReportKinds = [...]string{"violent", "robbery", "condom", "police", "following", "other"}

// ReportWhens names when it happened, in the order the question lists them.
var ReportWhens = [...]string{"today", "yesterday", "week"}

// Longest free answers a report keeps, in characters: a place, and what the
// person or vehicle looks like. Longer answers are cut, and the preview
// shows exactly what is kept.
const (
	MaxReportArea = 60
	MaxReportText = 280
)

// ReportDraft is a report being written. Kind and When are 1-based option
// numbers (0: not answered yet). It lives only in the conversation's
// state, sealed, until it is sent or dropped.
type ReportDraft struct {
	Kind uint8
	When uint8
	Area string
	Text string
}

// KindName is the draft's kind as ReportKinds names it, or "".
func (d ReportDraft) KindName() string {
	if d.Kind == 0 || int(d.Kind) > len(ReportKinds) {
		return ""
	}
	return ReportKinds[d.Kind-1]
}

// WhenName is the draft's when as ReportWhens names it, or "".
func (d ReportDraft) WhenName() string {
	if d.When == 0 || int(d.When) > len(ReportWhens) {
		return ""
	}
	return ReportWhens[d.When-1]
}

// Sealer seals and opens report drafts (sealer.Keyring does). Drafts are
// the only thing a person wrote that the state holds, so they are stored
// only sealed.
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// draftAAD binds a sealed draft to its use.
var draftAAD = []byte("senda report draft")

// stateVersionDraft marks an encoded state followed by a sealed draft.
const stateVersionDraft = 2

// appendDraft appends d sealed, with its length before it. A draft that
// cannot be sealed is left out: the report starts over, and nothing is
// stored in clear.
func (e *Engine) appendDraft(buf []byte, d *ReportDraft) ([]byte, bool) {
	if e.sealer == nil {
		return buf, false
	}
	plain := []byte{d.Kind, d.When, byte(len(d.Area))}
	plain = append(plain, d.Area...)
	plain = binary.BigEndian.AppendUint16(plain, uint16(len(d.Text)))
	plain = append(plain, d.Text...)
	sealed, err := e.sealer.Seal(plain, draftAAD)
	if err != nil || len(sealed) > 0xffff {
		return buf, false
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(sealed)))
	return append(buf, sealed...), true
}

// readDraft reads what appendDraft wrote: the whole of b.
func (e *Engine) readDraft(b []byte) (*ReportDraft, error) {
	if e.sealer == nil || len(b) < 2 || int(binary.BigEndian.Uint16(b)) != len(b)-2 {
		return nil, ErrStale
	}
	p, err := e.sealer.Open(b[2:], draftAAD)
	if err != nil {
		return nil, ErrStale
	}
	if len(p) < 3 || len(p) < 3+int(p[2])+2 {
		return nil, ErrStale
	}
	d := &ReportDraft{Kind: p[0], When: p[1]}
	area := int(p[2])
	d.Area = string(p[3 : 3+area])
	rest := p[3+area:]
	if n := int(binary.BigEndian.Uint16(rest)); n != len(rest)-2 {
		return nil, ErrStale
	}
	d.Text = string(rest[2:])
	if int(d.Kind) > len(ReportKinds) || int(d.When) > len(ReportWhens) {
		return nil, ErrStale
	}
	return d, nil
}
