package proc

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return sysProcAttrDeathSignal(syscall.SIGKILL) }

func sysProcAttrDeathSignal(sig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: sig}
}

// SignalOnParentDeath asks the kernel to send this process sig when its
// parent exits: the parent-death signal the supervised children get, for a
// command that must end with whatever started it. `go run` is the reason:
// it does not pass SIGTERM on to the program it runs, it dies of it and
// leaves the program orphaned. Call it after the program handles sig, and
// treat repeats as one: the signal comes each time the thread the process
// was reparented to exits, so a multi-threaded parent sends it several times.
func SignalOnParentDeath(sig syscall.Signal) error {
	parent := os.Getppid()
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(sig), 0); errno != 0 {
		return os.NewSyscallError("prctl(PR_SET_PDEATHSIG)", errno)
	}
	// A parent that died before the prctl sends nothing: we were adopted.
	if os.Getppid() != parent {
		return syscall.Kill(os.Getpid(), sig)
	}
	return nil
}
