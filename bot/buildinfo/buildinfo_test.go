package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFrom(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/senda-org/senda", Version: "v0.1.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "e19da2f755a54263175f294da91890065db0c58e"},
			{Key: "vcs.time", Value: "2026-11-27T13:46:31Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	cases := []struct {
		name     string
		override string
		info     *debug.BuildInfo
		want     string
	}{
		{name: "module version and vcs", info: stamped,
			want: "senda v0.1.0 (e19da2f755a5, 2026-11-27T13:46:31Z, modified) go1.26.8 " + platform},
		{name: "ldflags override wins", override: "v0.2.0-rc.1", info: stamped,
			want: "senda v0.2.0-rc.1 (e19da2f755a5, 2026-11-27T13:46:31Z, modified) go1.26.8 " + platform},
		{name: "checkout without vcs", info: devel, want: "senda (devel) go1.26.8 " + platform},
		{name: "override without vcs", override: "v0.1.0", info: devel, want: "senda v0.1.0 go1.26.8 " + platform},
		{name: "no build info", want: "senda unknown " + runtime.Version() + " " + platform},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := From(c.override, func() (*debug.BuildInfo, bool) { return c.info, c.info != nil }).String()
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
