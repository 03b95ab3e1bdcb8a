//go:build !linux

package proc

import "syscall"

// Without a parent-death signal only the signal handler and Stop protect
// against leaks on these systems.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func sysProcAttrDeathSignal(syscall.Signal) *syscall.SysProcAttr { return sysProcAttr() }

// SignalOnParentDeath does nothing where the kernel has no parent-death
// signal: the command then ends only on its own signals.
func SignalOnParentDeath(syscall.Signal) error { return nil }
