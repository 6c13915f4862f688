// Package buildinfo says which source a running binary was built from: the
// release version, the VCS revision and time, and the Go version. `senda
// version` prints it and /metrics exports it as senda_build_info.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the release version, set by release builds with
//
//	go build -ldflags "-X github.com/senda-org/senda/bot/buildinfo.version=v0.1.0" ./cmd/senda
//
// (see the Makefile's release target). When empty, the module version from
// the build info is used: "(devel)" for a build from a checkout, the tag for
// `go install github.com/senda-org/senda/cmd/senda@v0.1.0`.
var version string

// Info is what a binary knows about its own build.
type Info struct {
	Version   string // release or module version
	Revision  string // VCS commit, when the build knew it
	Time      string // commit time (RFC 3339), when known
	Modified  bool   // built from a tree with uncommitted changes
	GoVersion string
	Platform  string // GOOS/GOARCH
}

// Read returns this binary's build information.
func Read() Info { return From(version, debug.ReadBuildInfo) }

// From collects the build information from a version override (the -X
// setting; empty for none) and read, which is debug.ReadBuildInfo outside
// tests.
func From(override string, read func() (*debug.BuildInfo, bool)) Info {
	b := Info{Version: override, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
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
func (b Info) String() string {
	var src []string
	if b.Revision != "" {
		src = append(src, ShortRevision(b.Revision))
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

// ShortRevision is the first 12 characters of a commit hash.
func ShortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}
