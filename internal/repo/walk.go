package repo

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ReadFile reads a file of the repository by its path from the root.
func ReadFile(elem ...string) ([]byte, error) {
	p, err := Path(elem...)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// GoFiles lists this module's Go files, as slash-separated paths from the
// root: the tools/ wrapper modules, generated output (_output), hidden
// directories and testdata are not part of it.
func GoFiles() ([]string, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		name := d.Name()
		if d.IsDir() {
			if rel != "." && (rel == "tools" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}
