package proc

import (
	"bytes"
	"slices"

	"github.com/onsi/gomega"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStopKillsTheWholeProcessGroup(t *testing.T) {
	// A shell that ignores SIGTERM and has a child of its own: Stop must
	// still end both, within the grace period plus a little.
	var out Output
	cmd := exec.Command("sh", "-c", `trap "" TERM; sleep 300 & echo $!; wait`)
	p, err := Start("stubborn", cmd, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(Running(), "stubborn") {
		t.Fatalf("not tracked: %v", Running())
	}
	g := gomega.NewWithT(t)
	g.Eventually(out.String).WithTimeout(5 * time.Second).Should(gomega.ContainSubstring("\n"))
	var grandchild int
	if _, err := fmtSscan(out.String(), &grandchild); err != nil {
		t.Fatalf("no grandchild pid in %q", out.String())
	}
	start := time.Now()
	p.Stop(300 * time.Millisecond)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop took %s", d)
	}
	if p.Err() == nil {
		t.Error("Err must report why a stopped process ended")
	}
	if slices.Contains(Running(), "stubborn") {
		t.Error("still tracked after Stop")
	}
	g.Eventually(func() bool {
		return syscall.Kill(grandchild, 0) == syscall.ESRCH || isZombie(grandchild)
	}).WithTimeout(5*time.Second).Should(gomega.BeTrue(), "grandchild %d survived Stop", grandchild)
}

func TestKillAllAndInterruptCleanups(t *testing.T) {
	var order []string
	remove := OnInterrupt(func() { order = append(order, "first") })
	OnInterrupt(func() { order = append(order, "second") })
	removed := OnInterrupt(func() { order = append(order, "removed") })
	removed()
	p, err := Start("sleeper", exec.Command("sleep", "300"), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	RunInterruptCleanups()
	select {
	case <-p.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("KillAll left the child running")
	}
	if strings.Join(order, ",") != "second,first" {
		t.Errorf("cleanups ran as %v, want the reverse of registration without the removed one", order)
	}
	remove()
}

func TestStartFailureNamesTheProgram(t *testing.T) {
	_, err := Start("ghost", exec.Command("/no/such/binary"), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "start ghost (/no/such/binary)") {
		t.Fatalf("got %v", err)
	}
}
