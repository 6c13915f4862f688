package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the release version, set by release builds with
//
//	go build -ldflags "-X main.version=v0.1.0" ./cmd/senda
//
// (see the Makefile's release target). When empty, the module version from
// the build info is used: "(devel)" for a build from a checkout, the tag for
// `go install github.com/senda-org/senda/cmd/senda@v0.1.0`.
var version string

// buildInfo is what `senda version` prints: enough to tell which source a
// running binary was built from.
type buildInfo struct {
	Version   string // release or module version
	Revision  string // VCS commit, when the build knew it
	Time      string // commit time (RFC 3339), when known
	Modified  bool   // built from a tree with uncommitted changes
	GoVersion string
	Platform  string // GOOS/GOARCH
}

// readBuildInfo collects the version from the -X override and from
// runtime/debug.ReadBuildInfo. read is debug.ReadBuildInfo outside tests.
func readBuildInfo(override string, read func() (*debug.BuildInfo, bool)) buildInfo {
	b := buildInfo{Version: override, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := read()
	if !ok {
		if b.Version == "" {
			b.Version = "unknown"
		}
		return b
	}
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one-line form: "senda v0.1.0 (abc1234 2026-11-27T10:00:00Z, modified) go1.26.8 linux/amd64".
func (b buildInfo) String() string {
	var src []string
	if b.Revision != "" {
		src = append(src, shortRevision(b.Revision))
	}
	if b.Time != "" {
		src = append(src, b.Time)
	}
	if b.Modified {
		src = append(src, "modified")
	}
	s := "senda " + b.Version
	if len(src) > 0 {
		s += " (" + strings.Join(src, ", ") + ")"
	}
	return s + " " + b.GoVersion + " " + b.Platform
}

func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

// runVersion prints the build's version. `senda version -v` adds every build
// setting (module dependencies and their versions included).
func runVersion(args []string, stdout, stderr io.Writer) error {
	verbose := false
	for _, a := range args {
		switch a {
		case "-v", "--verbose":
			verbose = true
		case "-h", "-help", "--help":
			fmt.Fprint(stdout, "Usage: senda version [-v]\n\nPrints the release version, the commit and commit time it was built from, and the Go\nversion. -v adds every module and build setting.\n")
			return nil
		default:
			fmt.Fprintf(stderr, "senda version: unexpected argument %q\n", a)
			return errUsage
		}
	}
	fmt.Fprintln(stdout, readBuildInfo(version, debug.ReadBuildInfo))
	if verbose {
		if info, ok := debug.ReadBuildInfo(); ok {
			fmt.Fprint(stdout, info.String())
		}
	}
	return nil
}
