package broadcast

import "time"

// whatsAppWindow is how long after a person's last message WhatsApp allows
// free text.
const whatsAppWindow = 24 * time.Hour

// inWindow reports whether free text may still go to someone last seen in
// the hour starting at lastSeen. The hour is assumed to have started at its
// first second, so the window is never thought open when it is not.
func inWindow(lastSeen, now time.Time) bool {
	return !lastSeen.IsZero() && now.Before(lastSeen.Add(whatsAppWindow))
}
