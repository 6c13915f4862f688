package content

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// MinPageContent is the fewest characters of content (header and "more"
// line aside) a page of a multi-page reply may carry: below it a person
// pays for a message that says almost nothing.
const MinPageContent = 25

// paginate splits lines into pages that each fit budget as measured, every
// page starting with header (numbered "header 1/3" when there are several)
// and every page but the last ending with more. Pages break between lines;
// a line too long for a page of its own breaks between sentences, and a
// sentence too long breaks between words, but never inside a number or
// between a label and its number ("Policía: 110"). No page is left with
// less than MinPageContent characters when lines can move to fill it.
func paginate(lines []string, header, more string, budget int, measure func(string) int) ([]string, string) {
	single := header + "\n" + strings.Join(lines, "\n")
	if measure(single) <= budget {
		return []string{single}, ""
	}
	// Reserve room for the widest page number ("9/9") and the more line.
	moreCost := measure(more) + 1
	room := budget - measure(header) - len(" 9/9") - 1 - moreCost
	if room < 20 {
		return []string{single}, fmt.Sprintf("the header and more texts leave only %d characters per page", max(room, 0))
	}
	pg := pager{room: room, measure: measure}
	for _, line := range lines {
		pg.addLine(line)
	}
	pg.flush()
	pages := pg.pages
	// The last page needs no more line, so it may fit on the one before.
	if n := len(pages); n > 1 {
		prev, last := pages[n-2], pages[n-1]
		if measure(strings.Join(prev, "\n"))+1+measure(strings.Join(last, "\n")) <= room+moreCost {
			pages = append(pages[:n-2], append(prev, last...))
		}
	}
	pages = balance(keepHeadings(pages, room, measure), room, measure)
	if len(pages) == 1 {
		return []string{header + "\n" + strings.Join(pages[0], "\n")}, ""
	}
	var problem string
	out := make([]string, len(pages))
	for i, lines := range pages {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %d/%d", header, i+1, len(pages))
		for _, l := range lines {
			b.WriteByte('\n')
			b.WriteString(l)
		}
		if i < len(pages)-1 {
			b.WriteByte('\n')
			b.WriteString(more)
		}
		out[i] = b.String()
		if measure(out[i]) > budget && problem == "" {
			problem = fmt.Sprintf("page %d is %d characters, over the budget of %d", i+1, measure(out[i]), budget)
		}
		if c := contentLen(lines, measure); c < MinPageContent && problem == "" {
			problem = fmt.Sprintf("page %d of %d carries only %d characters (%q); at least %d are needed so no paid message is near empty: shorten the text or move a line", i+1, len(pages), c, strings.Join(lines, " / "), MinPageContent)
		}
	}
	return out, problem
}

func contentLen(lines []string, measure func(string) int) int {
	n := 0
	for _, l := range lines {
		n += measure(strings.TrimSpace(l))
	}
	return n
}

// keepHeadings moves a line ending in a colon ("Apoyo psicológico:") from
// the end of a page to the start of the next, so it stays with the lines
// it introduces, when the next page has room and the page keeps enough.
func keepHeadings(pages [][]string, room int, measure func(string) int) [][]string {
	for i := 1; i < len(pages); i++ {
		prev := pages[i-1]
		if len(prev) < 2 || !strings.HasSuffix(strings.TrimSpace(prev[len(prev)-1]), ":") {
			continue
		}
		heading, rest := prev[len(prev)-1], prev[:len(prev)-1]
		next := append([]string{heading}, pages[i]...)
		if contentLen(rest, measure) < MinPageContent || measure(strings.Join(next, "\n")) > room {
			continue
		}
		pages[i-1], pages[i] = rest, next
	}
	return pages
}

// balance moves lines from the end of a page to the start of the next one
// while the next one is near empty, as long as the page it takes from keeps
// enough and the one it gives to still fits.
func balance(pages [][]string, room int, measure func(string) int) [][]string {
	for i := len(pages) - 1; i > 0; i-- {
		for contentLen(pages[i], measure) < MinPageContent && len(pages[i-1]) > 1 {
			prev := pages[i-1]
			moved := prev[len(prev)-1]
			rest := prev[:len(prev)-1]
			if contentLen(rest, measure) < MinPageContent || measure(strings.Join(append([]string{moved}, pages[i]...), "\n")) > room {
				break
			}
			pages[i-1] = rest
			pages[i] = append([]string{moved}, pages[i]...)
		}
		for len(pages[i-1]) > 0 && pages[i-1][len(pages[i-1])-1] == "" {
			pages[i-1] = pages[i-1][:len(pages[i-1])-1]
		}
		for len(pages[i]) > 0 && pages[i][0] == "" {
			pages[i] = pages[i][1:]
		}
	}
	return pages
}

// pager fills pages of at most room characters with lines.
type pager struct {
	room    int
	measure func(string) int
	pages   [][]string
	cur     []string
	used    int
}

// cost is what s adds to the current page, counting the newline before it.
func (pg *pager) cost(s string) int {
	if len(pg.cur) == 0 {
		return pg.measure(s)
	}
	return pg.measure(s) + 1
}

func (pg *pager) put(s string) {
	pg.used += pg.cost(s)
	pg.cur = append(pg.cur, s)
}

func (pg *pager) flush() {
	for len(pg.cur) > 0 && pg.cur[len(pg.cur)-1] == "" {
		pg.cur = pg.cur[:len(pg.cur)-1]
	}
	if len(pg.cur) > 0 {
		pg.pages = append(pg.pages, pg.cur)
	}
	pg.cur, pg.used = nil, 0
}

func (pg *pager) addLine(line string) {
	switch {
	case line == "":
		if len(pg.cur) > 0 && pg.used+1 <= pg.room {
			pg.put("")
		}
		return
	case pg.used+pg.cost(line) <= pg.room:
		pg.put(line)
		return
	}
	sentences := splitSentences(line)
	if len(sentences) > 1 && pg.used+pg.cost(sentences[0]) <= pg.room {
		// Fill this page with whole sentences; the rest goes on the next.
		pg.addLines(sentences)
		return
	}
	if pg.measure(line) <= pg.room {
		// A whole line reads better on the next page than cut in two.
		pg.flush()
		pg.put(line)
		return
	}
	if len(sentences) > 1 {
		pg.addLines(sentences)
		return
	}
	pg.addSentence(line)
}

func (pg *pager) addLines(ls []string) {
	for _, l := range ls {
		pg.addLine(l)
	}
}

// addSentence places one sentence longer than a page: cut after a
// semicolon or, failing that, a comma, before cutting between words.
func (pg *pager) addSentence(line string) {
	for _, sep := range []string{"; ", ", "} {
		if parts := splitAfter(line, sep); len(parts) > 1 {
			pg.addLines(parts)
			return
		}
	}
	pg.addWords(line)
}

// addWords fills pages with as many words of line as fit, cutting words
// longer than a page.
func (pg *pager) addWords(line string) {
	partial := ""
	for _, u := range units(line) {
		for _, piece := range pg.wordPieces(u, partial) {
			candidate := piece
			if partial != "" {
				candidate = partial + " " + piece
			}
			if pg.used+pg.cost(candidate) <= pg.room {
				partial = candidate
				continue
			}
			if partial != "" {
				pg.put(partial)
			}
			pg.flush()
			partial = piece
		}
	}
	if partial != "" {
		pg.put(partial)
	}
}

// wordPieces cuts a word into pieces that fit a page. A word longer than a
// page (a long address) starts where the text stands (after partial, the
// words not yet put) rather than leaving the page half empty.
func (pg *pager) wordPieces(u, partial string) []string {
	pieces := splitWord(u, pg.room, pg.measure)
	if len(pieces) <= 1 {
		return pieces
	}
	avail := pg.room - pg.used - pg.cost(partial+" ")
	if len(pg.cur) == 0 {
		avail = pg.room - pg.measure(partial+" ")
	}
	if avail < 10 {
		return pieces
	}
	head := splitWord(u, avail, pg.measure)[0]
	return append([]string{head}, splitWord(u[len(head):], pg.room, pg.measure)...)
}

// splitSentences cuts a line after each sentence end (a full stop followed
// by a space), keeping the full stop. A question stays with its answer ("¿En
// peligro? Escribe EMERGENCIA.").
func splitSentences(line string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(line); i++ {
		if line[i] == '.' && line[i+1] == ' ' {
			out = append(out, strings.TrimSpace(line[start:i+1]))
			start = i + 2
		}
	}
	if rest := strings.TrimSpace(line[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// splitAfter cuts s after each sep, keeping sep's punctuation with the
// part before it.
func splitAfter(s, sep string) []string {
	parts := strings.SplitAfter(s, sep)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return slices.DeleteFunc(parts, func(p string) bool { return p == "" })
}

// units groups a sentence's words so a page never breaks between them: a
// word that starts with a digit stays with the word before it, so a number
// stays whole and stays with its label.
func units(line string) []string {
	var out []string
	for _, w := range strings.Fields(line) {
		if len(out) > 0 && w[0] >= '0' && w[0] <= '9' {
			out[len(out)-1] += " " + w
			continue
		}
		out = append(out, w)
	}
	return out
}

// splitWord cuts a word longer than room (a long web address) into pieces
// that fit.
func splitWord(w string, room int, measure func(string) int) []string {
	var out []string
	for measure(w) > room {
		cut := 0
		for i := range w {
			if i > 0 && measure(w[:i]) > room {
				break
			}
			cut = i
		}
		if cut == 0 {
			_, cut = utf8.DecodeRuneInString(w)
		}
		out = append(out, w[:cut])
		w = w[cut:]
	}
	return append(out, w)
}
