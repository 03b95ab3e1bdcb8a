package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
)

// component is one supervised process of the local tier.
type component struct {
	name  string
	bin   string
	args  []string
	env   []string
	ready func(ctx context.Context) (bool, error) // nil: started is ready
	log   string
	p     *proc.Process
}

func (c *Cluster) start(ctx context.Context, comp *component) error {
	comp.log = filepath.Join(c.dir, "logs", comp.name+".log")
	f, err := os.OpenFile(comp.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close() // the child holds its own descriptor
	cmd := exec.Command(comp.bin, comp.args...)
	cmd.Env = append(os.Environ(), comp.env...)
	cmd.Dir = c.dir
	comp.p, err = proc.Start(comp.name, cmd, f)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if comp.name == "ray-operator" {
		c.operators = append(c.operators, comp)
	} else {
		c.components = append(c.components, comp)
	}
	c.mu.Unlock()
	if comp.ready == nil {
		return nil
	}
	return c.poll(ctx, comp.name+" ready", comp, comp.ready)
}

// poll calls cond every 100 ms until it returns true, the watched component
// exits, or startTimeout passes. Failures name the component and carry the
// tail of its log, which nearly always says what went wrong, and which
// outlives the run directory a failed start-up removes.
func (c *Cluster) poll(ctx context.Context, what string, watch *component, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, c.startTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var exited <-chan struct{}
	if watch != nil && watch.p != nil {
		exited = watch.p.Exited()
	}
	var lastErr error
	for {
		// The condition gets the bounded context: a check that hangs must
		// not outlive the start timeout.
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited during start-up (%v), while waiting for %s; %s", watch.name, watch.p.Err(), what, c.logReport(watch))
		case <-ctx.Done():
			msg := fmt.Sprintf("timed out after %s waiting for %s (E2E_LOCAL_START_TIMEOUT raises it)", c.startTimeout, what)
			if lastErr != nil {
				msg += " (last error: " + lastErr.Error() + ")"
			}
			msg += "; raise E2E_LOCAL_START_TIMEOUT if the machine is just slow"
			if watch != nil {
				msg += "; " + c.logReport(watch)
			}
			return errors.New(msg)
		case <-tick.C:
		}
	}
}

// stop gives the component a moment to exit on SIGTERM, then kills it. Only
// etcd holds state worth a wait (a kept run directory must stay readable);
// the rest would spend seconds draining connections nobody uses any more
// (the v1.24 scheduler alone takes 5 s).
func (comp *component) stop() {
	grace := time.Second
	if comp.name == "etcd" {
		grace = 3 * time.Second
	}
	comp.p.Stop(grace)
}

// httpReady treats a 200 whose body contains want as ready.
func httpReady(client *http.Client, url, want string) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want)) {
			return false, fmt.Errorf("%s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return true, nil
	}
}

// logLines is how much of a component's log an error carries.
const logLines = 20

// logReport is the end of comp's log for an error, and where the whole log
// is while it lasts.
func (c *Cluster) logReport(comp *component) string {
	where := "full log: " + comp.log
	switch {
	case c.logsDir != "":
		where = "full log: " + filepath.Join(c.logsDir, filepath.Base(comp.log))
	case !c.keep:
		where += ", removed with the run directory; E2E_KEEP=1 keeps it"
	}
	data, err := os.ReadFile(comp.log)
	if err != nil {
		return fmt.Sprintf("%s's log is unreadable: %v (%s)", comp.name, err, where)
	}
	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		// A program that dies before its first line of output is mostly a
		// broken executable, not a bad flag or a busy port.
		return comp.name + "'s log is empty: it died before writing a line, which points at the binary itself, " + comp.bin
	}
	lines := strings.Split(text, "\n")
	if len(lines) > logLines {
		lines = lines[len(lines)-logLines:]
	}
	return fmt.Sprintf("last %d lines of %s's log:\n  %s\n(%s)", len(lines), comp.name, strings.Join(lines, "\n  "), where)
}
