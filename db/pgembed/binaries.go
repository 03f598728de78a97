package pgembed

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// libDirGlob matches the bin folders of Debian's PostgreSQL packages, one per major version.
var libDirGlob = "/usr/lib/postgresql/*/bin"

// lookupBinaries finds initdb and postgres; tests replace it.
var lookupBinaries = findBinaries

// findBinaries looks for initdb and postgres on PATH, then in the newest folder matching
// libDirGlob, and returns ErrNoBinaries when neither has both.
func findBinaries() (initdb, postgres string, err error) {
	if i, err := exec.LookPath("initdb"); err == nil {
		// initdb runs the postgres that lies beside it (after symlinks); prefer that one.
		if real, err := filepath.EvalSymlinks(i); err == nil {
			if p := filepath.Join(filepath.Dir(real), "postgres"); isExecutable(p) {
				return i, p, nil
			}
		}
		if p, err := exec.LookPath("postgres"); err == nil {
			return i, p, nil
		}
	}
	dirs, _ := filepath.Glob(libDirGlob)
	slices.SortFunc(dirs, func(a, b string) int { return compareVersions(versionOf(b), versionOf(a)) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "postgres")
		if isExecutable(i) && isExecutable(p) {
			return i, p, nil
		}
	}
	return "", "", ErrNoBinaries
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// versionOf extracts the version numbers of a folder such as /usr/lib/postgresql/9.6/bin.
func versionOf(binDir string) []int {
	var v []int
	for _, part := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	return v
}

func compareVersions(a, b []int) int { return slices.Compare(a, b) }
