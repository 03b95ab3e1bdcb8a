package files

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// OwnerFile is the file of an owned directory that holds its owner's pid,
// and KeepFile the one that spares it from RemoveStale (E2E_KEEP).
const (
	OwnerFile = "owner.pid"
	KeepFile  = "keep"
)

// OwnedTempDir makes a temporary directory named prefix* that records this
// process as its owner, so that RemoveStale of a later run removes it once
// the owner is gone: kill -9 gives the owner no chance to remove it.
func OwnedTempDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// RemoveStale removes the temporary directories named prefix* whose owner
// process is gone, except those holding KeepFile. A directory without an
// owner file is not one of OwnedTempDir's, and stays.
func RemoveStale(prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range dirs {
		if _, dead := DeadOwner(d); !dead {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, KeepFile)); err == nil {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// DeadOwner reads dir's OwnerFile: the owner's pid, and whether that
// process is gone. A directory without a readable owner file has no owner
// to be dead (false).
func DeadOwner(dir string) (pid int, dead bool) {
	data, err := os.ReadFile(filepath.Join(dir, OwnerFile))
	if err != nil {
		return 0, false
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, false
	}
	return pid, !ProcessAlive(pid)
}

// ProcessAlive reports whether a process with pid exists.
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
