package page

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/kuberay-docs/pod-security-e2e/document"
)

func TestMatchers(t *testing.T) {
	const table = "NAME   JOB STATUS   AGE\nrayjob-default-submitter-8ztqk   Running   2026-11-30T07:02:11Z   4m12s\n"
	for name, tc := range map[string]struct {
		m             Matcher
		block, output string
		want          string // "" when it matches
	}{
		"same":                                {Same, "pod/probe created", "pod/probe created\n", ""},
		"same ignores trailing spaces":        {Same, "a\nb", "a  \nb\n\n", ""},
		"same: another word":                  {Same, "pod/probe created", "pod/probe configured\n", `line 11: the page shows "pod/probe created", the output has "pod/probe configured"`},
		"same: more output":                   {Same, "a", "a\nb\n", `line 12: the output goes on with "b"`},
		"same: less output":                   {Same, "a\nb", "a\n", `line 12: the page shows "b", and the output ends before it`},
		"contains":                            {Contains, "B\n  D", "A B C\nD E\n", ""},
		"contains: missing":                   {Contains, "B\nX", "A B C\n", `line 12: the output holds no "X"`},
		"like: ages, times and names":         {Like, table, "NAME JOB STATUS AGE\nrayjob-default-submitter-q2x9b     Running     2026-12-07T01:02:03Z     12s\n", ""},
		"like: a suffix that reads as an age": {Like, "rayjob-sidecar Initializing rayjob-sidecar-w6b2x 62s", "rayjob-sidecar   Initializing   rayjob-sidecar-8956h   3m\n", ""},
		"like: a repeated event counts":       {Like, "41s Warning FailedCreate job/x", "3s (x4 over 2m) Warning FailedCreate job/x\n7s Warning FailedCreate job/x\n", ""},
		"like: combined events":               {Like, "41s Warning FailedCreate job/x Error creating", "3s Warning FailedCreate job/x (combined from similar events): Error creating\n", ""},
		"like: another status":                {Like, table, "NAME JOB STATUS AGE\nrayjob-default-submitter-q2x9b Failed 2026-12-07T01:02:03Z 12s\n", `the output has no line like "rayjob-default-submitter-8ztqk   Running`},
	} {
		got := strings.Join(tc.m.Differences(10, tc.block, tc.output), "\n")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: differences %q, want %q", name, got, tc.want)
		}
	}
}

func TestUnshownLinesFailALikeTable(t *testing.T) {
	snip := Snip{Outputs: []Output{{Line: 10, Text: "NAME AGE\nx 1s", Match: Like}, {Line: 20, Text: "LAST SEEN TYPE\n3s Warning", Match: Like}}}
	if got := Unshown(snip, "NAME AGE\nx 4s\nLAST SEEN TYPE\n7s Warning\n9s Warning\n"); len(got) != 0 {
		t.Errorf("two tables, each like one of the page's: %q", got)
	}
	got := Unshown(snip, "NAME AGE\nx 4s\ny 2s\n")
	if len(got) != 1 || !strings.Contains(got[0], `line 20: the output has "y 2s", which is like no line the page shows`) {
		t.Errorf("a row the page does not show: %q", got)
	}
	if got := Unshown(Snip{Outputs: []Output{{Line: 1, Text: "a", Match: Contains}}}, "a\nb\n"); got != nil {
		t.Errorf("contains allows more lines: %q", got)
	}
}

const outputs = "# T\n\n<!-- step: 3 exit 1 -->\n```sh\necho refused\nfalse\n```\n\n<!-- step: 3 -->\n```text\nrefused\n```\n\n" +
	"<!-- step: 3 -->\n```sh\nkubectl get pods\ndocker exec node cat /log\n```\n\n<!-- step: 3 like -->\n```text\nx 4s\n```\n\n<!-- step: 4 contains -->\n```text\nnot step 3's\n```\n\n" +
	"<!-- step: 5.2 background -->\n```sh\nkubectl port-forward svc/x 8265:8265\n```\n\n<!-- step: 6.3 containers -->\n```sh\nkubectl wait rayjob/x --for=jsonpath='{.status.jobDeploymentStatus}'=Complete\n```\n"

func TestReadTakesOutputsAndOptions(t *testing.T) {
	snips, err := Read(write(t, outputs))
	if err != nil {
		t.Fatal(err)
	}
	if len(snips) != 4 {
		t.Fatalf("%d snips, want 4", len(snips))
	}
	refused, read, fwd, wait := snips[0], snips[1], snips[2], snips[3]
	if refused.Exit != 1 || len(refused.Outputs) != 1 || refused.Outputs[0].Match != Same || refused.Outputs[0].Text != "refused" {
		t.Errorf("the refused block: exit %d, outputs %+v", refused.Exit, refused.Outputs)
	}
	// A text block of another step is no output of the shell block above.
	if len(read.Outputs) != 1 || read.Outputs[0].Match != Like {
		t.Errorf("the read block's outputs %+v: want the one like block of its own step", read.Outputs)
	}
	for _, tc := range []struct {
		s                Snip
		node, containers bool
		why              string
		polls            bool
	}{
		{refused, false, false, "", false},
		{read, true, false, "`docker` reaches the Kind node", true},
		{fwd, false, true, "`kubectl port-forward` needs a running container", false},
		{wait, false, true, "as its marker says", true},
	} {
		node, containers, why := tc.s.Needs()
		if node != tc.node || containers != tc.containers || !strings.Contains(why, tc.why) || (tc.why == "" && why != "") || tc.s.Polls() != tc.polls {
			t.Errorf("%s: needs node %v containers %v (%q), polls %v", tc.s, node, containers, why, tc.s.Polls())
		}
	}
	if !fwd.Background || !wait.Containers {
		t.Errorf("options: background %v, containers %v", fwd.Background, wait.Containers)
	}
}

func TestReadRefusesOptionsThatMeanNothing(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"shell":   {"<!-- step: 3 like -->\n```sh\ntrue\n```\n", `page.md:1: marker option "like" means nothing on a shell block`},
		"exit":    {"<!-- step: 3 exit -->\n```sh\ntrue\n```\n", "exit needs the status"},
		"exit 0":  {"<!-- step: 3 exit 0 -->\n```sh\ntrue\n```\n", "give the exit status the page shows, 1 to 255"},
		"matcher": {"<!-- step: 3 -->\n```sh\ntrue\n```\n<!-- step: 3 roughly -->\n```text\nx\n```\n", `page.md:5: marker options "roughly" of an output block: give one matcher, same, contains or like`},
	} {
		if _, err := Read(write(t, tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func TestCheckHoldsExitAndOutputToThePage(t *testing.T) {
	s := shell(t)
	ctx := context.Background()
	check := func(script string, exit int, out ...Output) Checked {
		snip := Snip{File: "p.md", Line: 3, Lines: linesOf(4, strings.Split(script, "\n")...), Exit: exit, Outputs: out}
		for i, l := range snip.Lines {
			snip.Commands = append(snip.Commands, commandOf(l.N, strings.Fields(l.Text)))
			_ = i
		}
		return s.Check(ctx, snip, 0)
	}
	if c := check("echo refused\nfalse", 1, Output{Line: 9, Text: "refused", Match: Same}); c.Failed(true) {
		t.Errorf("a refusal the page shows: %v", c.Err(true))
	}
	if c := check("echo fine", 1); !c.Failed(true) || !strings.Contains(c.Exit, "the page shows the last one exit 1") {
		t.Errorf("a command the page shows failing that succeeds: %q", c.Exit)
	}
	if c := check("false\necho later", 1); !c.Failed(true) || !strings.Contains(c.Exit, "p.md:4: `false` exited 1 (the page shows line 5 exit 1)") {
		t.Errorf("a failure before the one the page shows: %q", c.Exit)
	}
	if c := check("sh -c 'exit 2'", 0); !strings.Contains(c.Exit, "p.md:4: `sh -c 'exit 2'` exited 2") {
		t.Errorf("a failure the page does not show: %q", c.Exit)
	}
	c := check("echo other", 0, Output{Line: 9, Text: "pod/probe created", Match: Same})
	if c.Failed(false) || !c.Failed(true) || !strings.Contains(c.Err(true).Error(), `p.md:10: the page shows "pod/probe created", the output has "other"`) {
		t.Errorf("an output that differs decides only where outputs decide: %v", c.Err(true))
	}
}

func TestCheckRetriesASnipThatReads(t *testing.T) {
	s := shell(t)
	// The file appears on the third run: a reader who waits sees it.
	script := `test -f n || echo 0 > n; n=$(( $(cat n) + 1 )); echo $n > n; test $n -ge 3 && cat n`
	snip := Snip{File: "p.md", Line: 1, Lines: linesOf(2, script), Commands: nil}
	snip.Commands = append(snip.Commands, commandOf(2, []string{"cat", "n"}))
	snip.Outputs = []Output{{Line: 5, Text: "3", Match: Same}}
	c := s.Check(context.Background(), snip, time.Minute)
	if c.Failed(true) || c.Attempts != 3 {
		t.Errorf("attempts %d, %v: want a match on the third", c.Attempts, c.Err(true))
	}
}

func TestBackgroundRunsUntilStopped(t *testing.T) {
	s := shell(t)
	b, err := s.Start(Snip{File: "p.md", Line: 1, Lines: linesOf(2, "echo forwarding; exec sleep 300"), Background: true})
	if err != nil {
		t.Fatal(err)
	}
	gomega.NewWithT(t).Eventually(b.Output).Should(gomega.ContainSubstring("forwarding"))
	out, err := b.Stop()
	if err != nil || !strings.Contains(out, "forwarding") {
		t.Errorf("stopped: %q, %v", out, err)
	}
	b, _ = s.Start(Snip{File: "p.md", Line: 1, Lines: linesOf(2, "echo gone; exit 3"), Background: true})
	<-b.p.Exited()
	if _, err := b.Stop(); err == nil || !strings.Contains(err.Error(), "ended before its step did") {
		t.Errorf("a background block that ended by itself: %v", err)
	}
}

func commandOf(line int, words []string) document.Command {
	return document.Command{Line: line, Words: words, Program: words[0], Args: words[1:]}
}
