package binaries

import (
	"flag"
	"os"
	"strings"
	"time"
)

// processStart is close to when the program started: package variables are
// initialised before main or TestMain runs.
var processStart = time.Now()

// TestTimeoutDeadline is the build deadline (WithDeadline) for a test binary
// run with -test.timeout, zero without one (-timeout 0, or not a test binary).
//
// `go test` kills the test binary at its -timeout plus a minute (the testing
// package's own timer only starts once TestMain calls m.Run, after the
// suite's setup, where the builds happen). A deadline of the start plus the
// timeout less a minute leaves the minute for the rest of the suite and its
// teardown, and another before the kill, so a cold build that cannot finish
// ends in ErrDeadline's advice instead of a goroutine dump.
func TestTimeoutDeadline() time.Time {
	// TestMain may ask before the flags are parsed (e2e-framework parses
	// them after the provider is made): then the arguments are read.
	timeout := timeoutArg(os.Args[1:])
	if f := flag.Lookup("test.timeout"); f != nil && flag.Parsed() {
		timeout, _ = time.ParseDuration(f.Value.String())
	}
	return deadlineFor(processStart, timeout)
}

func deadlineFor(start time.Time, timeout time.Duration) time.Time {
	if timeout <= 0 {
		return time.Time{}
	}
	// A short timeout keeps half of itself for the suite rather than none.
	return start.Add(timeout - min(time.Minute, timeout/2))
}

// timeoutArg is the -test.timeout among a test binary's arguments, as flag
// would parse it (go test passes -test.timeout=<duration>), 0 without one.
func timeoutArg(args []string) time.Duration {
	var timeout time.Duration
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "test.timeout" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		// As with flag, the last one wins.
		if d, err := time.ParseDuration(value); err == nil {
			timeout = d
		}
	}
	return timeout
}
