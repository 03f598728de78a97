package pgembed

import "syscall"

// sysProcAttr runs a PostgreSQL command as runAs (when not nil), and has the kernel send it a
// fast-shutdown signal when the server dies, so that it never outlives it.
func sysProcAttr(runAs *osUser) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT}
	if runAs != nil {
		attr.Credential = &syscall.Credential{Uid: runAs.uid, Gid: runAs.gid, Groups: runAs.groups[1:]}
	}
	return attr
}
