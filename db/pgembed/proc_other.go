//go:build !linux

package pgembed

import "syscall"

// sysProcAttr runs a PostgreSQL command as runAs (when not nil). Outside Linux there is no
// parent-death signal: Stop must be called.
func sysProcAttr(runAs *osUser) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if runAs != nil {
		attr.Credential = &syscall.Credential{Uid: runAs.uid, Gid: runAs.gid, Groups: runAs.groups[1:]}
	}
	return attr
}
