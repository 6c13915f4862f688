package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
)

// bar is one labelled figure of a chart.
type bar struct {
	Label string
	Value stats.Count
}

// chartWidth is the width of every chart's drawing, about a phone's
// card: the drawing scales to fit, so on a phone its 12-pixel text stays 12
// pixels (a wider drawing shrank it to 7–9).
const chartWidth = 320

// columnChart draws figures per day as vertical bars, server-side. Hidden
// figures (1 to 4) get no bar and a "<5" mark, so the drawing tells no more
// than the numbers do.
func columnChart(title string, bars []bar) template.HTML {
	const h, top, bottom, left, width = 180, 16, 28, 36, chartWidth
	step := float64(width-left-8) / float64(max(len(bars), 1))
	peak := peakOf(bars)
	var s strings.Builder
	openChart(&s, width, h, title, "xMidYMid")
	fmt.Fprintf(&s, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left, h-bottom, width-4, h-bottom)
	fmt.Fprintf(&s, `<text class="tick" x="%d" y="%d" text-anchor="end">%d</text>`, left-4, top+4, peak)
	fmt.Fprintf(&s, `<text class="tick" x="%d" y="%d" text-anchor="end">0</text>`, left-4, h-bottom)
	for i, b := range bars {
		x := float64(left) + float64(i)*step + 1
		bw := max(step-2, 1)
		n, shown := b.Value.Shown()
		label := html.EscapeString(b.Label + ": " + b.Value.String())
		if !shown {
			fmt.Fprintf(&s, `<text class="hidden-mark" x="%.1f" y="%d" text-anchor="middle"><title>%s</title>&lt;5</text>`, x+bw/2, h-bottom-4, label)
		} else if n > 0 {
			bh := float64(n) / float64(peak) * float64(h-top-bottom)
			fmt.Fprintf(&s, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`, x, float64(h-bottom)-bh, bw, bh, label)
		}
		if last := len(bars) - 1; len(bars) <= 6 || i == last || (i%labelEvery(len(bars)) == 0 && last-i >= 4) {
			tx, anchor := x+bw/2, "middle"
			if i == last && len(bars) > 6 {
				tx, anchor = x+bw, "end" // inside the drawing, not cut at its edge
			}
			fmt.Fprintf(&s, `<text class="tick" x="%.1f" y="%d" text-anchor="%s">%s</text>`, tx, h-bottom+16, anchor, html.EscapeString(shortDate(b.Label)))
		}
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// labelEvery is how many days apart the date labels go, so that about
// five fit across: a week apart for a month, more for longer ranges.
func labelEvery(days int) int {
	return max(7, (days+4)/5/7*7)
}

// peakOf is the largest shown figure, at least 1.
func peakOf(bars []bar) int64 {
	peak := int64(1)
	for _, b := range bars {
		if n, ok := b.Value.Shown(); ok && n > peak {
			peak = n
		}
	}
	return peak
}

// openChart starts a chart's SVG, titled for screen readers.
func openChart(s *strings.Builder, width, height int, title, align string) {
	fmt.Fprintf(s, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="%s meet">`, width, height, html.EscapeString(title), align)
	fmt.Fprintf(s, `<title>%s</title>`, html.EscapeString(title))
}

// shortDate turns "2026-11-27" into "27/11".
func shortDate(d string) string {
	if len(d) == 10 {
		return d[8:10] + "/" + d[5:7]
	}
	return d
}

// barChart draws labelled figures as horizontal bars, largest first as given.
func barChart(title string, bars []bar) template.HTML {
	const rowH, labelW, width = 26, 130, chartWidth
	h := max(len(bars), 1)*rowH + 8
	peak := peakOf(bars)
	var s strings.Builder
	openChart(&s, width, h, title, "xMinYMin")
	if len(bars) == 0 {
		s.WriteString(`<text class="label" x="4" y="20">0</text>`)
	}
	for i, b := range bars {
		y := 4 + i*rowH
		fmt.Fprintf(&s, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+17, html.EscapeString(truncate(b.Label, 17)))
		n, shown := b.Value.Shown()
		bw := 0.0
		if shown && n > 0 {
			bw = float64(n) / float64(peak) * float64(width-labelW-50)
			fmt.Fprintf(&s, `<rect class="bar" x="%d" y="%d" width="%.1f" height="%d"/>`, labelW, y+4, bw, rowH-8)
		}
		fmt.Fprintf(&s, `<text class="value" x="%.1f" y="%d">%s</text>`, float64(labelW)+bw+4, y+17, html.EscapeString(b.Value.String()))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// menuGraph draws the pack's menu as a tree: each node a box, lines from a
// menu to its options; an option reached from elsewhere first is drawn as a
// dashed line to where it is.
func menuGraph(p *content.Pack, lang int) template.HTML {
	const boxW, boxH, colW, rowH = 150, 26, 172, 32
	type place struct{ x, y int }
	at := map[int]place{}
	row := 0
	var walk func(n, depth int)
	walk = func(n, depth int) {
		at[n] = place{depth * colW, row * rowH}
		row++
		for _, o := range p.Nodes[n].Options {
			if _, seen := at[o]; !seen && p.Nodes[o].Parent == n {
				walk(o, depth+1)
			}
		}
	}
	walk(p.Start, 0)
	for i := range p.Nodes { // nodes only reached by keyword
		if _, seen := at[i]; !seen {
			walk(i, 0)
		}
	}
	maxX := 0
	for _, pl := range at {
		maxX = max(maxX, pl.x)
	}
	width, height := maxX+boxW+8, row*rowH+8
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="graph" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="menu">`, width, height, width, height)
	for i, n := range p.Nodes {
		from := at[i]
		for _, o := range n.Options {
			to := at[o]
			class := "edge"
			if p.Nodes[o].Parent != i {
				class = "edge extra"
			}
			fmt.Fprintf(&s, `<path class="%s" d="M%d %d H%d V%d H%d"/>`, class, from.x+boxW, from.y+4+boxH/2, from.x+boxW+10, to.y+4+boxH/2, to.x)
		}
	}
	number := map[int]int{}
	for _, n := range p.Nodes {
		for k, o := range n.Options {
			if p.Nodes[o].Parent >= 0 && p.Nodes[p.Nodes[o].Parent] == n {
				number[o] = k + 1
			}
		}
	}
	for i, n := range p.Nodes {
		pl := at[i]
		title := n.Title[lang]
		if k, ok := number[i]; ok {
			title = fmt.Sprintf("%d %s", k, title)
		}
		if i == p.Start {
			title = n.ID
		}
		fmt.Fprintf(&s, `<g><title>%s</title><rect class="box" x="%d" y="%d" width="%d" height="%d" rx="4"/><text class="label" x="%d" y="%d">%s</text></g>`,
			html.EscapeString(n.ID), pl.x, pl.y+4, boxW, boxH, pl.x+6, pl.y+21, html.EscapeString(truncate(title, 20)))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}
