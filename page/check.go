package page

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

// Checked is a snip run and held to the page: its exit status to the one
// the page shows, its output to the page's output blocks.
type Checked struct {
	Result
	// Attempts counts the runs: a snip that only reads is run again until
	// it matches, as a reader waits where the page says to.
	Attempts int
	// Exit says how the exit status differs from the page's; "" when it
	// does not.
	Exit string
	// Output are the ways the output differs from the page's blocks.
	Output []string
}

// Failed reports whether the snip failed the page: a wrong exit status, or
// an output that differs where outputs decide.
func (c Checked) Failed(outputsDecide bool) bool {
	return c.Exit != "" || (outputsDecide && len(c.Output) > 0)
}

// Err is the failure as one message: the page's file and line, and what
// differed.
func (c Checked) Err(outputsDecide bool) error {
	if !c.Failed(outputsDecide) {
		return nil
	}
	var parts []string
	if c.Exit != "" {
		parts = append(parts, c.Exit)
	}
	if outputsDecide {
		for _, d := range c.Output {
			parts = append(parts, c.Snip.File+":"+strings.TrimPrefix(d, "line "))
		}
	}
	msg := strings.Join(parts, "\n")
	if c.Attempts > 1 {
		msg += fmt.Sprintf("\n(after %d attempts; the last one's output:)\n%s", c.Attempts, lastLines(c.Result.Output, 20))
	} else if c.Exit == "" {
		msg += "\noutput:\n" + lastLines(c.Result.Output, 20)
	}
	return errors.New(msg)
}

// Check runs snip and holds it to the page. A snip that only reads
// (Snip.Polls) runs again until it matches or wait has passed.
func (s *Shell) Check(ctx context.Context, snip Snip, wait time.Duration) Checked {
	deadline := time.Now().Add(wait)
	var c Checked
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		c = Checked{Result: s.Run(ctx, snip), Attempts: c.Attempts + 1}
		c.Exit = exitDifference(snip, c.Result.Err)
		for _, o := range snip.Outputs {
			c.Output = append(c.Output, o.Match.Differences(o.Line, o.Text, c.Result.Output)...)
		}
		c.Output = append(c.Output, Unshown(snip, c.Result.Output)...)
		if !c.Failed(true) || !snip.Polls() || time.Now().After(deadline) || ctx.Err() != nil {
			return c
		}
		select {
		case <-ctx.Done():
			return c
		case <-tick.C:
		}
	}
}

// exitDifference compares how the snip ended with what the page shows: every
// command succeeds, or (exit N) the block's last command exits N.
func exitDifference(snip Snip, err error) string {
	var exit *ExitError
	isExit := errors.As(err, &exit)
	switch {
	case err != nil && !isExit:
		return err.Error()
	case snip.Exit == 0 && isExit:
		return exit.Error()
	case snip.Exit == 0:
		return ""
	case !isExit:
		return fmt.Sprintf("%s: every command exited 0, but the page shows the last one exit %d", snip, snip.Exit)
	}
	last := snip.Commands[len(snip.Commands)-1].Line
	if exit.Line != last || exit.Code != snip.Exit {
		return fmt.Sprintf("%s (the page shows line %d exit %d)", exit.Error(), last, snip.Exit)
	}
	return ""
}

// Background is a snip that runs in a second terminal, as the page says,
// until its step ends.
type Background struct {
	snip Snip
	p    *proc.Process
	out  *proc.Output
}

// Start starts a background snip.
func (s *Shell) Start(snip Snip) (*Background, error) {
	if err := s.prepare(); err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", snip.Script())
	cmd.Dir = s.dir
	cmd.Env = s.environ()
	b := &Background{snip: snip, out: &proc.Output{}}
	var err error
	if b.p, err = proc.Start("snip "+snip.String(), cmd, b.out); err != nil {
		return nil, fmt.Errorf("%s: %w", snip, err)
	}
	return b, nil
}

// Output is what the snip printed so far.
func (b *Background) Output() string { return b.out.String() }

// Stop ends the snip, as Ctrl-C in its terminal does, and returns what it
// printed; an error if it had ended by itself before.
func (b *Background) Stop() (string, error) {
	var err error
	select {
	case <-b.p.Exited():
		err = fmt.Errorf("%s: the background block ended before its step did (%v):\n%s", b.snip, b.p.Err(), lastLines(b.out.String(), 10))
	default:
		b.p.Stop(2 * time.Second)
	}
	return b.out.String(), err
}
