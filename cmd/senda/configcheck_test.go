package main

import (
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	ready := map[string]string{
		"SENDA_ENV": "production", "SENDA_REDIS_URL": "redis://:redispassword1@127.0.0.1:6379/0",
		"TWILIO_AUTH_TOKEN": "twiliotoken0123456789", "SENDA_HASH_KEY": strings.Repeat("k", 32),
		"SENDA_PUBLIC_URL": "https://senda.example.org",
	}
	code, out, _ := runCmd(t, ready, "", "config", "check")
	if code != exitOK || !strings.Contains(out, "Production would start") {
		t.Fatalf("ready settings: exit %d\n%s", code, out)
	}
	for _, secret := range []string{"redispassword1", "twiliotoken0123456789", strings.Repeat("k", 32)} {
		if strings.Contains(out, secret) {
			t.Errorf("config check shows a secret %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"SENDA_ENV                    env      production", "SENDA_ADDR                   default  :8080", "TWILIO_AUTH_TOKEN            env      set, 21 characters"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	placeholder := map[string]string{"SENDA_WHATSAPP_FROM": "whatsapp:+"}
	for k, v := range ready {
		placeholder[k] = v
	}
	code, out, _ = runCmd(t, placeholder, "", "config", "check")
	if code != exitError || !strings.Contains(out, "Production would refuse to start:\n  - SENDA_WHATSAPP_FROM must be") {
		t.Errorf("placeholder sender: exit %d\n%s", code, out)
	}
	if code, _, _ := runCmd(t, nil, "", "config"); code != exitUsage {
		t.Errorf("senda config without check: exit %d, want %d", code, exitUsage)
	}
}
