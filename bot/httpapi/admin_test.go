package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/broadcast"
)

// The admin API's wire types are adminapi's; the broadcast package keeps
// its own. These tests fail when one side gains a field the other lacks, so
// the two cannot drift apart silently.

func TestBroadcastStatusAndWireTypeAgree(t *testing.T) {
	done := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st := broadcast.Status{
		ID: "b1", Topic: "salud", State: broadcast.StateDone, Recipients: 9, Sent: 8, Delivered: 7, Failed: 1,
		Skipped: 1, Finished: 9, Reasons: map[string]int64{adminapi.ReasonNoTemplate: 1}, Waiting: map[string]int64{adminapi.WaitingRetry: 1},
		Urgent: true, Template: true, SendAt: done.Add(-time.Hour), CreatedAt: done.Add(-2 * time.Hour), CreatedBy: "ngo", DoneAt: &done,
	}
	assertAllFieldsSet(t, st)
	want, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(toAPI(st))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("adminapi.Broadcast and broadcast.Status differ on the wire:\nadminapi:  %s\nbroadcast: %s", got, want)
	}
}

func TestBroadcastRequestAndWireTypeAgree(t *testing.T) {
	req := adminapi.BroadcastRequest{
		Topic: "salud", Text: map[string]string{"es": "Jornada"}, SendAt: "2026-12-01T09:00:00-06:00", Urgent: true,
		Template: &adminapi.Template{ContentSID: "HX00000000000000000000000000000000", Variables: map[string]string{"1": "lunes"}},
	}
	assertAllFieldsSet(t, req)
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var direct broadcast.Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&direct); err != nil {
		t.Fatalf("broadcast.Request does not take what adminapi.BroadcastRequest sends: %v", err)
	}
	if got := fromAPI(req); !reflect.DeepEqual(got, direct) {
		t.Fatalf("fromAPI = %+v, want %+v", got, direct)
	}
	back, err := json.Marshal(direct)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, body) {
		t.Fatalf("broadcast.Request has fields adminapi.BroadcastRequest lacks:\nbroadcast: %s\nadminapi:  %s", back, body)
	}
}

// assertAllFieldsSet fails when a field of v is its zero value, so a new
// field must be added to the test (and so to the comparison) to pass.
func assertAllFieldsSet(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Fatalf("%s.%s is not set in the test; set it so the comparison covers it", rv.Type().Name(), rv.Type().Field(i).Name)
		}
	}
}
