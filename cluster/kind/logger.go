package kind

import (
	"fmt"
	"io"
	"strings"
	"sync"

	kindlog "sigs.k8s.io/kind/pkg/log"
)

// logger sends kind's user-facing messages (verbosity 0, warnings, errors)
// to w with a "kind:" prefix; its debug levels are dropped.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

var _ kindlog.Logger = (*logger)(nil)

func (l *logger) print(s string) {
	s = strings.TrimRight(s, "\n")
	if strings.TrimSpace(s) == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(s, "\n") {
		fmt.Fprintf(l.w, "kind: %s\n", line)
	}
}

func (l *logger) Warn(m string)                     { l.print(m) }
func (l *logger) Warnf(f string, a ...interface{})  { l.print(fmt.Sprintf(f, a...)) }
func (l *logger) Error(m string)                    { l.print(m) }
func (l *logger) Errorf(f string, a ...interface{}) { l.print(fmt.Sprintf(f, a...)) }

func (l *logger) V(v kindlog.Level) kindlog.InfoLogger {
	if v > 0 {
		return kindlog.NoopInfoLogger{}
	}
	return info{l}
}

type info struct{ l *logger }

func (i info) Info(m string)                    { i.l.print(m) }
func (i info) Infof(f string, a ...interface{}) { i.l.print(fmt.Sprintf(f, a...)) }
func (i info) Enabled() bool                    { return true }
