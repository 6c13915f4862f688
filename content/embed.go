package content

import (
	"embed"
	"io/fs"
)

//go:embed pack
var embedded embed.FS

// DefaultName is how the embedded pack is named in messages.
const DefaultName = "content/pack"

// DefaultFS returns the embedded default pack's files.
func DefaultFS() fs.FS {
	sub, err := fs.Sub(embedded, "pack")
	if err != nil {
		panic("content: embedded pack missing: " + err.Error()) // a build without the pack is broken
	}
	return sub
}

// Default loads the embedded default pack with the switches named in on.
func Default(on ...string) (*Pack, *Report, error) {
	return Load(DefaultFS(), DefaultName, on...)
}
