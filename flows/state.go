package flows

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/senda-org/senda/content"
)

// stateVersion is the first byte of an encoded state; bump it when the
// layout changes so old values read as stale instead of as garbage.
const stateVersion = 1

// ErrStale means an encoded state was written for another content pack or
// layout; the conversation should start over.
var ErrStale = errors.New("flows: state from another content pack")

// Encode appends a compact binary form of st to buf. The form is tied to
// the engine's pack (its fingerprint is inside), so a reloaded pack whose
// node numbers changed does not misread it.
//
// Layout: version, fingerprint (4), lang, node (2), screen kind, screen arg
// (2), note, page, misses, back count, back nodes (2 each). A state with a
// report draft has version 2 and the sealed draft after that (reportdraft.go).
func (e *Engine) Encode(buf []byte, st State) []byte {
	start := len(buf)
	buf = append(buf, stateVersion)
	buf = binary.BigEndian.AppendUint32(buf, e.pack.Fingerprint)
	buf = append(buf, st.Lang)
	buf = binary.BigEndian.AppendUint16(buf, st.Node)
	buf = append(buf, byte(st.Screen.Kind))
	buf = binary.BigEndian.AppendUint16(buf, st.Screen.Arg)
	buf = append(buf, byte(st.Screen.Note), st.Page, st.Misses, byte(len(st.Back)))
	for _, b := range st.Back {
		buf = binary.BigEndian.AppendUint16(buf, b)
	}
	if st.Report != nil {
		var ok bool
		if buf, ok = e.appendDraft(buf, st.Report); ok {
			buf[start] = stateVersionDraft
		}
	}
	return buf
}

const fixedStateLen = 1 + 4 + 1 + 2 + 1 + 2 + 1 + 1 + 1 + 1

// Decode reads a state written by Encode and checks every field against the
// pack, so a corrupt or foreign value can never index out of range. It
// returns ErrStale for a value from another pack or layout.
func (e *Engine) Decode(b []byte) (State, error) {
	if len(b) < fixedStateLen || b[0] != stateVersion && b[0] != stateVersionDraft {
		return State{}, ErrStale
	}
	if binary.BigEndian.Uint32(b[1:]) != e.pack.Fingerprint {
		return State{}, ErrStale
	}
	p := e.pack
	st := State{
		Lang:   b[5],
		Node:   binary.BigEndian.Uint16(b[6:]),
		Screen: content.Screen{Kind: content.ScreenKind(b[8]), Arg: binary.BigEndian.Uint16(b[9:]), Note: content.Note(b[11])},
		Page:   b[12],
		Misses: b[13],
	}
	n := int(b[14])
	if b[0] == stateVersionDraft {
		if len(b) <= fixedStateLen+2*n {
			return State{}, ErrStale
		}
		d, err := e.readDraft(b[fixedStateLen+2*n:])
		if err != nil {
			return State{}, err
		}
		st.Report, b = d, b[:fixedStateLen+2*n]
	}
	if len(b) != fixedStateLen+2*n || n > maxBack {
		return State{}, fmt.Errorf("flows: decode state: %d bytes for %d back entries", len(b), n)
	}
	if n > 0 {
		st.Back = make([]uint16, n)
		for i := range st.Back {
			st.Back[i] = binary.BigEndian.Uint16(b[fixedStateLen+2*i:])
			if int(st.Back[i]) >= len(p.Nodes) {
				return State{}, fmt.Errorf("flows: decode state: back node %d out of range", st.Back[i])
			}
		}
	}
	switch {
	case int(st.Lang) >= len(p.Languages):
		return State{}, fmt.Errorf("flows: decode state: language %d out of range", st.Lang)
	case int(st.Node) >= len(p.Nodes):
		return State{}, fmt.Errorf("flows: decode state: node %d out of range", st.Node)
	case len(p.Pages(st.Screen, int(st.Lang), content.SMS)) == 0:
		return State{}, fmt.Errorf("flows: decode state: unknown screen %s", st.Screen)
	case st.Misses >= MaxMisses:
		return State{}, fmt.Errorf("flows: decode state: %d misses", st.Misses)
	}
	return st, nil
}
