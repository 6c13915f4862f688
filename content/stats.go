package content

// ChannelStats is what a node's reply costs on one channel.
type ChannelStats struct {
	Pages    int      // messages the reply is split into
	MaxChars int      // characters of the longest page
	Encoding Encoding // GSM-7 or UCS-2 if the pages were sent as SMS
	Segments int      // SMS segments of all pages together, if sent as SMS
}

// NodeStats is what one node's reply costs on each channel.
type NodeStats struct {
	ID       string
	SMS      ChannelStats
	WhatsApp ChannelStats
	// SMSPagesRead is how many SMS pages the node takes when a sentence
	// leads to it: with the help line, unless it gives every help number.
	SMSPagesRead int
}

// Stats measures every node's reply in the default language, in node order.
func (p *Pack) Stats() []NodeStats { return p.StatsIn(0) }

func measurePages(pages []Page) ChannelStats {
	st := ChannelStats{Pages: len(pages), Encoding: GSM7}
	for _, pg := range pages {
		m := MeasureSMS(pg.Text)
		st.MaxChars = max(st.MaxChars, len([]rune(pg.Text)))
		st.Segments += m.Segments
		if m.Encoding == UCS2 {
			st.Encoding = UCS2
		}
	}
	return st
}
