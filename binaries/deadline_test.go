package binaries

import (
	"flag"
	"testing"
	"time"
)

func TestDeadlineLeavesTheSuiteAMinuteOfTheTestTimeout(t *testing.T) {
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		timeout time.Duration
		want    time.Time
	}{
		{0, time.Time{}}, // -timeout 0: no timeout, no deadline
		{10 * time.Minute, start.Add(9 * time.Minute)},
		{30 * time.Minute, start.Add(29 * time.Minute)},
		{time.Minute, start.Add(30 * time.Second)},
	} {
		if got := deadlineFor(start, tc.timeout); !got.Equal(tc.want) {
			t.Errorf("timeout %s: deadline %v, want %v", tc.timeout, got, tc.want)
		}
	}
}

func TestTimeoutArgReadsTheFlagAsFlagWould(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"-test.timeout=10m0s"}, 10 * time.Minute},
		{[]string{"-test.v=true", "-test.timeout", "30m"}, 30 * time.Minute},
		{[]string{"--test.timeout=5m", "-test.timeout=7m"}, 7 * time.Minute},
		{[]string{"-test.timeout=0s"}, 0},
		{[]string{"--", "-test.timeout=5m"}, 0},
		{[]string{"-test.timeoutx=5m", "test.timeout=5m"}, 0},
	} {
		if got := timeoutArg(tc.args); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestTestTimeoutDeadlineFollowsThisTestBinary(t *testing.T) {
	timeout := flag.Lookup("test.timeout").Value.(flag.Getter).Get().(time.Duration)
	if got, want := TestTimeoutDeadline(), deadlineFor(processStart, timeout); !got.Equal(want) {
		t.Errorf("-test.timeout %s: deadline %v, want %v", timeout, got, want)
	}
}
