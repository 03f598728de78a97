package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// osUser is the unprivileged account the cluster runs as when the server runs as root.
type osUser struct {
	name     string
	uid, gid uint32
	groups   []uint32
}

// clusterUsers are the accounts tried, in order, when running as root; the last one is created
// when none exists.
var clusterUsers = []string{"postgres", "gatehouse-pg"}

// clusterUser returns the account to run PostgreSQL as: nil when the process is not root (the
// cluster then runs as the current user).
func clusterUser(ctx context.Context) (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range clusterUsers {
		if u, err := lookupUser(name); err == nil {
			return u, nil
		}
	}
	name := clusterUsers[len(clusterUsers)-1]
	useradd, err := exec.LookPath("useradd")
	if err != nil {
		return nil, fmt.Errorf("pgembed: PostgreSQL refuses to run as root, no user %q or %q exists and useradd is missing: create one of them, or run the server as an unprivileged user", clusterUsers[0], name)
	}
	out, err := exec.CommandContext(ctx, useradd, "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pgembed: PostgreSQL refuses to run as root and creating the user %q failed (%v: %s): create it, or run the server as an unprivileged user", name, err, out)
	}
	return lookupUser(name)
}

func lookupUser(name string) (*osUser, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgembed: user %s: %w", name, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("pgembed: user %s is root", name)
	}
	ou := &osUser{name: name, uid: uint32(uid), gid: uint32(gid), groups: []uint32{uint32(gid)}}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil && !slices.Contains(ou.groups, uint32(g)) {
				ou.groups = append(ou.groups, uint32(g))
			}
		}
	}
	return ou, nil
}

// checkSearchable fails, naming the folder, when u cannot enter dir or one of its parents
// (dir has no symlinks). It changes no permission: that is the operator's call.
func checkSearchable(dir string, u *osUser) error {
	for p := dir; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
		if !canSearch(st, u) {
			return fmt.Errorf("pgembed: PostgreSQL runs as user %q (it refuses root), which cannot enter %s (mode %#o): put the data folder elsewhere (e.g. under /var/lib or /tmp), or allow it (chmod o+x %s)",
				u.name, p, st.Mode().Perm(), p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func canSearch(st fs.FileInfo, u *osUser) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := st.Mode().Perm()
	switch {
	case sys.Uid == u.uid:
		return perm&0o100 != 0
	case slices.Contains(u.groups, sys.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

func fileOwner(st fs.FileInfo) (uint32, bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return sys.Uid, true
}

// chownTree gives dir and everything in it to u when dir belongs to someone else (a cluster made
// by an earlier run under another account). Nothing to do when u is nil.
func chownTree(dir string, u *osUser) error {
	if u == nil {
		return nil
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if owner, ok := fileOwner(st); ok && owner == u.uid {
		return nil
	}
	err = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(u.uid), int(u.gid))
	})
	if err != nil {
		return fmt.Errorf("pgembed: give %s to user %s: %w", dir, u.name, err)
	}
	return nil
}

// lockFolder takes an exclusive lock that lasts as long as the returned file stays open (and
// no longer than the process), so that two processes never run the same cluster.
func lockFolder(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgembed: open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w in %s", ErrInUse, filepath.Dir(path))
		}
		return nil, fmt.Errorf("pgembed: lock %s: %w", path, err)
	}
	return f, nil
}
