package twilio_test

import (
	"testing"

	"github.com/senda-org/senda/bot/twilio"
)

// BenchmarkSend measures one Send through twilio-go to the fake on
// loopback, privacy parameters included: the client's cost plus the fake's.
func BenchmarkSend(b *testing.B) {
	_, c := setup(b, nil)
	m := twilio.Message{To: "whatsapp:+50212345678", Body: "Hola: la clínica abre el martes de 8 a 12.", StatusCallback: "https://senda.example.org/twilio/status?b=1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendParallel is the same with concurrent senders, as broadcast
// workers run.
func BenchmarkSendParallel(b *testing.B) {
	_, c := setup(b, nil)
	m := twilio.Message{To: "whatsapp:+50212345678", Body: "Hola: la clínica abre el martes de 8 a 12."}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Send(b.Context(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
