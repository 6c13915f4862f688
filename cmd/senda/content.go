package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

const contentUsage = `Usage:
  senda content check [-q] [--stale 180d] [--launch] [--date YYYY-MM-DD] [DIR]
  senda content export --lang kaq [--format csv|po] [DIR]
  senda content import --lang kaq [--format csv|po] FILE [DIR]

check prints every error and warning as file:line, runs the phrase tests of
tests.yaml (each phrase and the page it must reach) and names each failure,
then for every language
a table of what each node's reply costs per channel (characters of the
longest page, encoding, pages and SMS segments), which languages people are
offered, and the facts that must be confirmed before launch. With --stale it
also lists the facts in facts.yaml nobody has checked for that long, and
fails when there are any. With --launch it lists every phone number people
can be shown that the NGO has not rung within 180 days (called: in
facts.yaml) and fails while there is one: Senda is not ready to launch.
--date checks as of that day instead of today. Exits 1 when the pack has
errors.

export writes every text of the pack, with its Spanish source and the
language's translation and status (missing, draft, reviewed, outdated), to
standard output as CSV or a gettext PO file for translators.

import reads such a file back and writes DIR/translations/<lang>.yaml;
rows marked reviewed (or, in PO, not fuzzy) reach people once the
language's menus and urgent pages are all reviewed. It lists the
translations whose Spanish source changed since the export.

Without DIR the commands use $SENDA_CONTENT_DIR, or (check and export) the
embedded default pack.
`

func runContent(args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	if err := helpFirst(args, contentUsage, stdout); err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, contentUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("content "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, contentUsage) }
	quiet := fs.Bool("q", false, "check: print only errors and warnings, no tables")
	stale := fs.String("stale", "", "check: list facts not checked for this long (180d, 26w), and fail if there are any")
	launch := fs.Bool("launch", false, "check: fail while a number people see was not confirmed by a call within 180 days")
	date := fs.String("date", "", "check: the day to check as of (YYYY-MM-DD; default today)")
	lang := fs.String("lang", "", "export, import: the language code, e.g. kaq")
	format := fs.String("format", "", "export, import: csv or po (import: default from the file name)")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	dir := config.ContentDir(getenv)
	switch args[0] {
	case "check", "export":
		if fs.NArg() > 1 {
			fmt.Fprint(stderr, contentUsage)
			return errUsage
		}
		if fs.NArg() == 1 {
			dir = fs.Arg(0)
		}
	case "import":
		if fs.NArg() < 1 || fs.NArg() > 2 {
			fmt.Fprint(stderr, contentUsage)
			return errUsage
		}
		if fs.NArg() == 2 {
			dir = fs.Arg(1)
		}
	default:
		fmt.Fprint(stderr, contentUsage)
		return errUsage
	}
	pack, report, name, err := loadContent(dir)
	if args[0] == "check" {
		return contentCheck(pack, report, name, err, checkOptions{quiet: *quiet, stale: *stale, launch: *launch, date: *date}, stdout, stderr)
	}
	if err != nil {
		return err
	}
	if *lang == "" {
		fmt.Fprintf(stderr, "senda content %s: --lang is required (one of %s)\n", args[0], strings.Join(pack.LanguageCodes()[1:], ", "))
		return errUsage
	}
	if args[0] == "export" {
		return contentExport(pack, *lang, *format, stdout, stderr)
	}
	if dir == "" {
		fmt.Fprint(stderr, "senda content import: give the pack folder to write into (or set SENDA_CONTENT_DIR); the embedded pack cannot change: for the default pack give content/pack\n")
		return errUsage
	}
	return contentImport(pack, dir, *lang, *format, fs.Arg(0), stdout, stderr)
}

// loadContent loads dir, or the embedded pack when dir is empty, checking
// both sides of every switch.
func loadContent(dir string) (*content.Pack, *content.Report, string, error) {
	if dir == "" {
		p, r, err := content.Check(content.DefaultFS(), content.DefaultName)
		return p, r, content.DefaultName + " (embedded)", err
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		p, r, err := content.LoadDir(dir) // says what is wrong with dir
		return p, r, dir, err
	}
	p, r, err := content.Check(os.DirFS(dir), dir)
	return p, r, dir, err
}

// checkOptions are the flags of `senda content check`.
type checkOptions struct {
	quiet  bool
	stale  string // an age, or "" for no list of stale facts
	launch bool
	date   string // YYYY-MM-DD, or "" for today
}

func contentCheck(pack *content.Pack, report *content.Report, name string, err error, opts checkOptions, stdout, stderr io.Writer) error {
	var age time.Duration
	if opts.stale != "" {
		var perr error
		if age, perr = content.ParseAge(opts.stale); perr != nil {
			fmt.Fprintf(stderr, "senda content check: --stale: %v\n", perr)
			return errUsage
		}
	}
	now := time.Now()
	if opts.date != "" {
		var perr error
		if now, perr = time.Parse(time.DateOnly, opts.date); perr != nil {
			fmt.Fprintf(stderr, "senda content check: --date %q: write the day as YYYY-MM-DD\n", opts.date)
			return errUsage
		}
	}
	for _, i := range report.Issues {
		fmt.Fprintln(stdout, i)
	}
	var le *content.LoadError
	if err != nil && !errors.As(err, &le) {
		return err
	}
	if err != nil {
		fmt.Fprintf(stdout, "\n%s: %d error(s), %d warning(s)\n", name, len(report.Errors()), len(report.Warnings()))
		return errReported
	}
	nStale := pack.WriteSummary(stdout, content.SummaryOptions{Figures: !opts.quiet, Now: now, StaleAge: age})
	nUncalled := 0
	if opts.launch {
		nUncalled = pack.WriteLaunch(stdout, now)
	}
	fmt.Fprintf(stdout, "\n%s: ok, %d nodes, %d topics, %d languages, %d facts, %d warning(s)\n", name, len(pack.Nodes), len(pack.Topics), len(pack.Languages), len(pack.Facts), len(report.Warnings()))
	if failed := phraseTests(pack, stdout); failed > 0 {
		return errReported
	}
	if nStale > 0 {
		fmt.Fprintf(stdout, "%d fact(s) not checked within %s: ring or look them up again, then update checked and checked_by in facts.yaml\n", nStale, opts.stale)
	}
	if nUncalled > 0 {
		fmt.Fprintf(stdout, "not ready to launch: %d number(s) not confirmed by a call / no listo para lanzar: %d número(s) sin confirmar por llamada\n", nUncalled, nUncalled)
	}
	if nStale > 0 || nUncalled > 0 {
		return errReported
	}
	return nil
}

// phraseTests runs the pack's tests.yaml through the engine, names each
// failure and returns how many failed.
func phraseTests(pack *content.Pack, stdout io.Writer) int {
	if len(pack.Tests) == 0 {
		return 0
	}
	failed := 0
	for _, r := range flows.New(pack, flows.Options{}).RunPhraseTests() {
		if !r.Pass {
			failed++
			fmt.Fprintln(stdout, r)
		}
	}
	fmt.Fprintf(stdout, "%d of %d phrase tests (tests.yaml) pass / pruebas de frases que pasan\n", len(pack.Tests)-failed, len(pack.Tests))
	return failed
}

func contentExport(pack *content.Pack, lang, format string, stdout, stderr io.Writer) error {
	rows, err := pack.Export(lang)
	if err != nil {
		fmt.Fprintf(stderr, "senda content export: %v\n", err)
		return errUsage
	}
	switch format {
	case "", "csv":
		err = content.WriteCSV(stdout, rows)
	case "po":
		err = content.WritePO(stdout, lang, rows)
	default:
		fmt.Fprintf(stderr, "senda content export: --format %q: use csv or po\n", format)
		return errUsage
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func contentImport(pack *content.Pack, dir, lang, format, file string, stdout, stderr io.Writer) error {
	if format == "" {
		format = strings.TrimPrefix(filepath.Ext(file), ".")
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	var rows []content.ExportRow
	switch format {
	case "csv":
		rows, err = content.ReadCSV(f)
	case "po":
		rows, err = content.ReadPO(f)
	default:
		fmt.Fprintf(stderr, "senda content import: --format %q: use csv or po\n", format)
		return errUsage
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	existing, err := content.ReadTranslationsFile(os.DirFS(dir), lang)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	out, sum, err := pack.Import(lang, rows, existing)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	target := filepath.Join(dir, filepath.FromSlash(content.TranslationsPath(lang)))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := os.WriteFile(target, out, 0o644); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d translation(s), %d reviewed\n", target, sum.Imported, sum.Reviewed)
	for _, k := range sum.Outdated {
		fmt.Fprintf(stdout, "  outdated: %s: the Spanish changed since the export; Spanish is shown until it is translated again\n", k)
	}
	for _, k := range sum.Unknown {
		fmt.Fprintf(stdout, "  skipped: %s is not a text of this pack\n", k)
	}
	fmt.Fprintf(stdout, "Run `senda content check %s` to see which languages are offered.\n", dir)
	return nil
}
