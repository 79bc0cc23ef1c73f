package jwx

import (
	"os"
	"path/filepath"
)

func readShared(parts ...string) ([]byte, error) {
	return os.ReadFile(filepath.Join(append([]string{"..", "..", "..", "shared", "testdata"}, parts...)...))
}
