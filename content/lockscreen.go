package content

import "strings"

// MaxUrgentSMSPages is the most SMS pages an urgent page may take: each
// costs her credit and they arrive one by one while she needs the numbers.
const MaxUrgentSMSPages = 3

// lockScreenLines is how many lines after the header a locked phone shows.
const lockScreenLines = 2

// lockScreenWords are words someone else must not read on her locked
// phone. The first lines of urgent pages, of the main menu and of the
// welcome may not hold them, in any language. A word ending in * matches
// every word it begins; matching ignores case and accents.
var lockScreenWords = []string{
	"violacion", "violad*", "viola", "violo", "rape*", "abuso*", "abuse*", "sexual*", "sexo", "sex",
	"peligro*", "danger*", "suicid*", "matar*", "morir*", "muerte", "kill*", "death", "dead",
	"policia*", "police", "pnc", "sangre", "blood", "golpe*", "beat*", "arma", "armas", "weapon*",
	"condon*", "condom*", "vih", "hiv", "sida", "aids", "trata", "traffick*",
	"droga*", "drug*", "sobredosis", "overdose*", "veneno*", "poison*", "detenida", "arrest*",
}

// lockScreenWord returns the first word of a line that must not show on a
// lock screen, or "".
func lockScreenWord(line string) string {
	for _, w := range strings.Fields(Normalize(line)) {
		for _, bad := range lockScreenWords {
			stem, prefix := strings.CutSuffix(bad, "*")
			stem = Normalize(stem)
			if w == stem || prefix && strings.HasPrefix(w, stem) {
				return w
			}
		}
	}
	return ""
}

// firstLines returns the first n lines of a page after its header,
// skipping the blank lines WhatsApp puts between blocks.
func firstLines(page string, n int) []string {
	var out []string
	for _, l := range strings.Split(page, "\n")[1:] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if len(out) == n {
			break
		}
		out = append(out, l)
	}
	return out
}

// checkLockScreens holds the screens a person may get in a hurry to what a
// lock screen shows: urgent pages, the main menu and the welcome keep
// their first two lines neutral, and urgent pages fit MaxUrgentSMSPages.
func (l *loader) checkLockScreens() {
	p := l.p
	screens := []Screen{{Kind: ScreenWelcome}, {Kind: ScreenNode, Arg: uint16(p.Start)}}
	for _, n := range p.Nodes {
		if n.Urgent && n.Index != p.Start {
			screens = append(screens, Screen{Kind: ScreenNode, Arg: uint16(n.Index)})
			if p.NeedsHelpLine(n.Index) {
				// Shown with the help line: that form must fit too.
				screens = append(screens, Screen{Kind: ScreenNode, Arg: uint16(n.Index), Note: NoteHelpLine})
			}
		}
	}
	for _, s := range screens {
		file, line, what := l.locate(s)
		seen := map[string]bool{}
		for lang := range p.Languages {
			for _, ch := range Channels {
				pages := p.Pages(s, lang, ch)
				if len(pages) == 0 || seen[pages[0].Text+"\x00"+ch.String()] {
					continue // a language falling back to another says the same
				}
				seen[pages[0].Text+"\x00"+ch.String()] = true
				for _, first := range firstLines(pages[0].Text, lockScreenLines) {
					if w := lockScreenWord(first); w != "" {
						l.report.errorf(file, line, "%s (%s, %s): %q shows %q on a locked phone; keep the first %d lines after the header neutral and move it lower",
							what, p.Languages[lang].Code, ch, first, w, lockScreenLines)
					}
				}
				if ch == SMS && s.Kind == ScreenNode && s.Arg != uint16(p.Start) && len(pages) > MaxUrgentSMSPages {
					l.report.errorf(file, line, "%s (%s, sms%s) is urgent and takes %d SMS pages; at most %d: shorten it",
						what, p.Languages[lang].Code, helpLineWhen(s), len(pages), MaxUrgentSMSPages)
				}
			}
		}
	}
}

// helpLineWhen names, in a check's message, the help line a screen adds.
func helpLineWhen(s Screen) string {
	if s.Note == NoteHelpLine {
		return ", with the help line when reached by a sentence / con la línea de ayuda"
	}
	return ""
}
