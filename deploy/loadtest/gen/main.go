// Command gen writes the requests of the webhook load test: genuine Twilio
// webhooks, signed with twilio.Sign for a public URL and auth token, from
// many senders each holding a realistic conversation, every one with a
// MessageSid of its own (a repeated sid would take Senda's cheap duplicate
// path and flatter it).
//
// Output is one request per line, the signature, a tab, then the
// url-encoded body, which deploy/loadtest/senda.lua loads.
//
// Request i (counting from -start) comes from sender i mod -senders and is
// message i div -senders of that sender's conversation, so consecutive
// requests come from different people and one person's messages arrive in
// order, far apart. -n is rounded up to a multiple of -senders so that a
// later file with -start at the end of this one carries every conversation
// on where it stopped.
//
// The auth token is read from TWILIO_AUTH_TOKEN: secrets have no flags,
// since a command line is visible to every user of the machine.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/config/osenv"
	"github.com/senda-org/senda/bot/twilio"
)

func main() {
	target := flag.String("url", "", "the full webhook URL Twilio would call, e.g. http://127.0.0.1:8090/twilio/messages (signatures are computed over it)")
	n := flag.Int("n", 100_000, "requests to write (rounded up to a multiple of -senders)")
	senders := flag.Int("senders", 5000, "distinct senders")
	start := flag.Int("start", 0, "index of the first request: continue conversations from an earlier file")
	sms := flag.Int("sms-percent", 10, "share of senders on SMS rather than WhatsApp, in percent")
	out := flag.String("o", "-", "output file, - for standard output")
	flag.Parse()
	if err := run(*target, *n, *senders, *start, *sms, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(target string, n, senders, start, smsPercent int, out string) error {
	cfg, err := config.Load(osenv.Lookup)
	if err != nil {
		return err
	}
	token := cfg.Twilio.AuthToken
	switch {
	case token == "":
		return errors.New("set TWILIO_AUTH_TOKEN to the auth token the server checks signatures with")
	case target == "":
		return errors.New("-url is required")
	case senders < 1 || senders > 1_000_000:
		return errors.New("-senders must be between 1 and 1000000")
	case n < 1 || start < 0:
		return errors.New("-n must be positive and -start not negative")
	case smsPercent < 0 || smsPercent > 100:
		return errors.New("-sms-percent must be between 0 and 100")
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q is not an absolute http(s) URL", target)
	}
	n = (n + senders - 1) / senders * senders

	f := os.Stdout
	if out != "-" {
		var err error
		if f, err = os.Create(out); err != nil {
			return err
		}
		defer f.Close()
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var sid [16]byte
	for i := start; i < start+n; i++ {
		s, k := i%senders, i/senders
		p := newPerson(s, smsPercent)
		rand.Read(sid[:])
		form, body := p.webhook(p.says(k), "SM"+hex.EncodeToString(sid[:]))
		w.WriteString(twilio.Sign(token, target, form))
		w.WriteByte('\t')
		w.WriteString(body)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if out != "-" {
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gen: %d requests from %d senders (start %d) in %s\n", n, senders, start, out)
	}
	return nil
}

// accountSid is a made-up account; Senda does not read it.
const accountSid = "AC" + "5e7da0c4a1f4b1c2d3e4f5a6b7c8d9e0"

// Senda's numbers: a WhatsApp sender and an SMS long code.
const (
	whatsappNumber = "whatsapp:+50220000000"
	smsNumber      = "+12025550123"
)

var names = []string{
	"Ana", "María José", "Lucía", "Rosa", "Karla", "Sofía", "Brenda", "Yesenia", "Ixchel", "Mayra",
	"Dulce", "Flor 🌸", "Andrea", "Vilma", "Marta", "Glenda", "Yoli", "Wendy", "Paola", "~",
}

// Conversations, one per sender, repeated when a sender runs through hers:
// greetings, digits, paging, back, keywords, typos, the other language and
// now and then SALIR. Paging (MAS) matters most on SMS.
var whatsappScripts = [][]string{
	{"Hola", "2", "4", "0", "1", "MENU", "1", "1", "0", "0", "3", "1", "Gracias", "MENU", "8", "1"},
	{"SALUD", "1", "0", "2", "0", "MENU", "5", "3", "0", "6", "2", "INICIO", "AYUDA", "4", "2", "SALIR"},
	{"buenas noches", "9", "0", "7", "1", "menú", "prep", "0", "derechos", "1", "volver", "2", "Menu", "3", "1", "menu"},
	{"Hi", "ENGLISH", "1", "2", "BACK", "3", "MENU", "5", "1", "HOME", "help", "6", "1", "Español", "2", "1"},
	{"hla", "ok", "??", "1", "salu", "2", "clínica", "1", "0", "0", "no sé", "MENU", "4", "1", "0", "1"},
	{"info", "4", "1", "0", "2", "atrás", "atras", "3", "1", "1", "MENU", "7", "2", "0", "0", "peligro"},
}

var smsScripts = [][]string{
	{"HOLA", "2", "4", "MAS", "MAS", "0", "1", "MAS", "MENU", "5", "1", "MAS", "MAS", "0", "INICIO", "3"},
	{"salud", "1", "MAS", "MAS", "MAS", "0", "0", "4", "2", "MAS", "MENU", "8", "1", "MAS", "SALIR", "hola"},
}

// person is one sender, the same in every file for the same index.
type person struct {
	sms    bool
	number string // +502…, E.164
	name   string
	script []string
}

func newPerson(s, smsPercent int) person {
	// A bijection from sender index to 8-digit Guatemalan mobile numbers
	// (3…, 4… or 5…), so no two senders share a number.
	local := (s*7919 + 1_234_567) % 10_000_000
	p := person{
		sms:    s%100 < smsPercent,
		number: "+502" + strconv.Itoa(3+s%3) + fmt.Sprintf("%07d", local),
		name:   names[(s/7)%len(names)],
	}
	if p.sms {
		p.script = smsScripts[s%len(smsScripts)]
	} else {
		p.script = whatsappScripts[s%len(whatsappScripts)]
	}
	return p
}

func (p person) says(k int) string { return p.script[k%len(p.script)] }

// webhook returns the fields Twilio posts for an inbound message, and the
// body in Twilio's field order.
func (p person) webhook(text, sid string) (url.Values, string) {
	var fields [][2]string
	if p.sms {
		fields = [][2]string{
			{"ToCountry", "US"}, {"ToState", "DC"}, {"SmsMessageSid", sid}, {"NumMedia", "0"},
			{"ToCity", "WASHINGTON"}, {"FromZip", ""}, {"SmsSid", sid}, {"FromState", ""},
			{"SmsStatus", "received"}, {"FromCity", ""}, {"Body", text}, {"FromCountry", "GT"},
			{"To", smsNumber}, {"ToZip", "20001"}, {"NumSegments", "1"}, {"MessageSid", sid},
			{"AccountSid", accountSid}, {"From", p.number}, {"ApiVersion", "2010-04-01"},
		}
	} else {
		waID := strings.TrimPrefix(p.number, "+")
		meta := `{"type":"whatsapp","data":{"context":{"ProfileName":` + strconv.Quote(p.name) + `,"WaId":"` + waID + `"}}}`
		fields = [][2]string{
			{"SmsMessageSid", sid}, {"NumMedia", "0"}, {"ProfileName", p.name}, {"MessageType", "text"},
			{"SmsSid", sid}, {"WaId", waID}, {"SmsStatus", "received"}, {"Body", text},
			{"To", whatsappNumber}, {"NumSegments", "1"}, {"ReferralNumMedia", "0"}, {"MessageSid", sid},
			{"AccountSid", accountSid}, {"From", "whatsapp:" + p.number}, {"ApiVersion", "2010-04-01"},
			{"ChannelMetadata", meta},
		}
	}
	form := make(url.Values, len(fields))
	var b strings.Builder
	for i, f := range fields {
		form.Set(f[0], f[1])
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f[1]))
	}
	return form, b.String()
}
