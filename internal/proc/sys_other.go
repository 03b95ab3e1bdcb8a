//go:build !linux

package proc

import "syscall"

// Without a parent-death signal only the signal handler and Stop protect
// against leaks on these systems.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
