package page

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Matcher holds a snip's output to a block the page shows. The page picks
// one with the text block's marker (`<!-- step: 6.1 like -->`); exact text
// is the default, and the others are for what cannot hold exactly: a line
// among others, or a table with ages and generated names.
type Matcher string

const (
	// Same: the output is the block, line for line (trailing spaces and
	// blank lines at either end aside).
	Same Matcher = "same"
	// Contains: each line of the block is part of the output (a line among
	// others, as one command's output among a block's).
	Contains Matcher = "contains"
	// Like: the output has every line of the block once what differs from
	// run to run is masked (likeMasks) and columns are one space apart, and
	// no line like none of its snip's blocks (Unshown); a line repeated in
	// the output counts once.
	Like Matcher = "like"
)

var matchers = []Matcher{Same, Contains, Like}

func matcherOf(opts []string) (Matcher, error) {
	switch len(opts) {
	case 0:
		return Same, nil
	case 1:
		if m := Matcher(opts[0]); slices.Contains(matchers, m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("marker options %q of an output block: give one matcher, %s, %s or %s (none is %s)", strings.Join(opts, " "), Same, Contains, Like, Same)
}

// likeMasks are what Like lets differ: times, ages, the suffixes the API
// server and controllers generate, and addresses.
var likeMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	// After ten similar events in ten minutes, Kubernetes aggregates
	// them, and the message says so.
	{regexp.MustCompile(`\(combined from similar events\): `), ""},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "<time>"},
	// Before the ages: a suffix such as -8956h would read as an age.
	{regexp.MustCompile(`-[a-z0-9]{5}\b`), "-<id>"},
	// An event's "41s (x5 over 2m)" is one age.
	{regexp.MustCompile(`\b\d+[smhd](\d+[smh])?( \(x\d+ over \d+[smhd](\d+[smh])?\))?(\s|$)`), "<age>$3"},
	{regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}\b`), "<ip>"},
	{regexp.MustCompile(`[ \t]+`), " "},
}

func mask(line string) string {
	for _, m := range likeMasks {
		line = m.re.ReplaceAllString(line, m.with)
	}
	return strings.TrimSpace(line)
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.Trim(s, "\n"), "\n") {
		out = append(out, strings.TrimRight(l, " \t\r"))
	}
	for len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// Differences are the ways output differs from the block at line (of the
// page), each naming the page's line; none when it matches.
func (m Matcher) Differences(line int, block, output string) []string {
	want, got := lines(block), lines(output)
	var diffs []string
	switch m {
	case Same:
		for i := 0; i < max(len(want), len(got)); i++ {
			switch {
			case i >= len(want):
				diffs = append(diffs, fmt.Sprintf("line %d: the output goes on with %q, which the page does not show", line+len(want)+1, got[i]))
			case i >= len(got):
				diffs = append(diffs, fmt.Sprintf("line %d: the page shows %q, and the output ends before it", line+i+1, want[i]))
			case want[i] != got[i]:
				diffs = append(diffs, fmt.Sprintf("line %d: the page shows %q, the output has %q", line+i+1, want[i], got[i]))
			}
			if len(diffs) > 0 {
				break
			}
		}
	case Contains:
		for i, w := range want {
			if t := strings.TrimSpace(w); t != "" && !strings.Contains(output, t) {
				diffs = append(diffs, fmt.Sprintf("line %d: the output holds no %q", line+i+1, t))
			}
		}
	case Like:
		have := map[string]bool{}
		for _, g := range got {
			if g != "" {
				have[mask(g)] = true
			}
		}
		for i, w := range want {
			if w != "" && !have[mask(w)] {
				diffs = append(diffs, fmt.Sprintf("line %d: the output has no line like %q", line+i+1, w))
			}
		}
	default:
		diffs = append(diffs, fmt.Sprintf("line %d: no matcher %q", line, m))
	}
	return diffs
}

// Unshown are the lines of output like no line of the snip's output
// blocks, where one of them is Like: a table that is like the page's has
// no rows the page does not show. Blocks of other matchers show their
// lines too; a snip without a Like block has none.
func Unshown(snip Snip, output string) []string {
	shown := map[string]bool{}
	like := 0
	for _, o := range snip.Outputs {
		if o.Match == Like {
			like = o.Line
		}
		for _, l := range lines(o.Text) {
			shown[mask(l)] = true
		}
	}
	if like == 0 {
		return nil
	}
	var diffs []string
	for _, g := range lines(output) {
		if k := mask(g); g != "" && !shown[k] {
			diffs = append(diffs, fmt.Sprintf("line %d: the output has %q, which is like no line the page shows", like, g))
			shown[k] = true
		}
	}
	return diffs
}
