package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/config"
)

// `senda stats`: the anonymous daily figures, through the admin API.

const statsAbout = `Muestra las cifras anónimas por día: personas distintas, mensajes por canal e
idioma, temas visitados, palabras clave, páginas de ayuda urgente,
suscripciones, bajas y avisos. Las cifras de 1 a 4 se muestran como "<5".
Sin fechas: los últimos 30 días; como máximo 400 días.

Shows the anonymous daily figures: distinct people, messages by channel and
language, topics visited, keywords, urgent-help pages, opt-ins, opt-outs and
broadcasts. Figures from 1 to 4 show as "<5". Default: the last 30 days; at
most 400.

  senda stats
  senda stats --from 2026-11-01 --to 2026-11-30
  senda stats --from 2026-11-01 --to 2026-11-30 --csv > noviembre.csv
`

func runStats(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "first day, YYYY-MM-DD in SENDA_TIMEZONE (default: 29 days before --to)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (default: today)")
	asCSV := fs.Bool("csv", false, "print CSV for a spreadsheet: one row per day and a row \"total\"")
	asJSON := fs.Bool("json", false, "print the admin API's JSON answer as it is")
	adminURL := fs.String("admin-url", "", "the admin API's base URL (SENDA_ADMIN_URL)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: senda stats [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--csv | --json]\n\n%s\n%s\nFlags:\n", statsAbout, broadcastEnvHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if err := checkStatsFlags(fs, *from, *to, *asCSV, *asJSON); err != nil {
		fmt.Fprintf(stderr, "senda stats: %v\n", err)
		return errUsage
	}
	c, loc, err := newAdminClient(getenv, *adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	if *asCSV {
		body, err := c.StatsCSV(ctx, *from, *to)
		if err != nil {
			return fail(stderr, err)
		}
		_, err = stdout.Write(body)
		return err
	}
	rep, raw, err := c.Stats(ctx, *from, *to)
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		writeJSON(stdout, raw)
		return nil
	}
	printStats(stdout, rep, loc)
	return nil
}

// checkStatsFlags catches what the server would refuse, before asking it.
func checkStatsFlags(fs *flag.FlagSet, from, to string, asCSV, asJSON bool) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; give dates with --from and --to", fs.Arg(0))
	}
	if asCSV && asJSON {
		return errors.New("give --csv or --json, not both")
	}
	for name, v := range map[string]string{"--from": from, "--to": to} {
		if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
			return fmt.Errorf("%s %q no es AAAA-MM-DD / is not YYYY-MM-DD, e.g. 2026-11-30", name, v)
		}
	}
	if from != "" && to != "" && from > to {
		return errors.New("--from va después de --to / --from is after --to")
	}
	return nil
}

// printStats shows the figures for people: totals, the breakdowns, and a
// table of the days that had messages.
func printStats(w io.Writer, rep adminapi.Stats, loc *time.Location) {
	fig := func(n *int64) string { return adminapi.FormatFigure(n, rep.MinCount) }
	fmt.Fprintf(w, "Cifras anónimas / Anonymous figures: %s – %s (%s)\n", rep.From, rep.To, rep.Timezone)
	fmt.Fprintf(w, "De 1 a %d se muestra \"%s\" / figures from 1 to %d show as \"%s\".\n\n", rep.MinCount-1, fig(nil), rep.MinCount-1, fig(nil))
	t := rep.Total
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range []struct {
		name string
		n    *int64
	}{
		{"Personas distintas / distinct people", t.People},
		{"Mensajes / messages", t.Messages},
		{"Ayuda urgente / urgent-help pages", t.Distress},
		{"Avisos enviados / broadcast messages sent", t.Broadcasts.Sent},
		{"Avisos fallidos / broadcast messages failed", t.Broadcasts.Failed},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", r.name, fig(r.n))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range []struct {
		name string
		m    map[string]*int64
	}{
		{"Canales / channels", t.Channels},
		{"Idiomas / languages", t.Languages},
		{"Temas / topics", t.Nodes},
		{"Palabras clave / keywords", t.Keywords},
		{"Suscripciones / opt-ins", t.OptIns},
		{"Bajas / opt-outs", t.OptOuts},
	} {
		fmt.Fprintf(w, "%s: %s\n", r.name, figureList(r.m, fig))
	}
	fmt.Fprintln(w)
	printStatsDays(w, rep, fig)
	fmt.Fprintf(w, "\nLeído / read %s.\n", localTime(time.Now(), loc))
}

// printStatsDays is the table of days with messages, oldest first.
func printStatsDays(w io.Writer, rep adminapi.Stats, fig func(*int64) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DÍA/DAY\tPERSONAS/PEOPLE\tMENSAJES/MESSAGES\tWHATSAPP\tSMS\tURGENTE/DISTRESS")
	shown := 0
	for _, d := range rep.Days {
		if d.Messages != nil && *d.Messages == 0 {
			continue
		}
		shown++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Date, fig(d.People), fig(d.Messages),
			fig(zeroIfAbsent(d.Channels, "whatsapp")), fig(zeroIfAbsent(d.Channels, "sms")), fig(d.Distress))
	}
	if shown == 0 {
		fmt.Fprintln(w, "Ningún mensaje en estos días / no messages on these days.")
		return
	}
	tw.Flush()
}

// zeroIfAbsent reads a figure of a map, where an absent key is a zero.
func zeroIfAbsent(m map[string]*int64, k string) *int64 {
	if n, ok := m[k]; ok {
		return n
	}
	zero := int64(0)
	return &zero
}

// figureList writes "salud 9 · sexual <5", largest first; "-" when empty.
func figureList(m map[string]*int64, fig func(*int64) string) string {
	if len(m) == 0 {
		return "-"
	}
	val := func(n *int64) int64 {
		if n == nil {
			return 1 // hidden: 1 to 4, below every shown figure
		}
		return *n
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if c := cmp.Compare(val(m[b]), val(m[a])); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + fig(m[k])
	}
	return strings.Join(parts, " · ")
}
