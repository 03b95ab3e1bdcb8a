// Package testlog sends a program's chatter (Helm, port-forward, a
// provider's progress lines) to a test's log, line by line, so that it shows
// under the test that caused it and only with -v or on failure.
package testlog

import (
	"strings"
	"testing"
)

// Writer is an io.Writer onto t's log.
type Writer struct{ T testing.TB }

func (w Writer) Write(p []byte) (int, error) {
	w.T.Helper()
	w.T.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
