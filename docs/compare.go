// The rule over two translations: they carry the same blocks.

package docs

import (
	"fmt"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
)

// Compare checks that two translations carry the same blocks: the same
// markers, info strings and lines, except full-line comments, which are
// translated.
func Compare(a, b *document.Document) []Problem {
	var out []Problem
	if len(a.Blocks) != len(b.Blocks) {
		out = append(out, Problem{Doc: b.Name, Line: 1, Msg: fmt.Sprintf("%d code blocks, %s has %d: the translations must carry the same blocks", len(b.Blocks), a.Name, len(a.Blocks))})
	}
	for i := 0; i < min(len(a.Blocks), len(b.Blocks)); i++ {
		x, y := a.Blocks[i], b.Blocks[i]
		if x.Marker != y.Marker || x.Info != y.Info {
			out = append(out, Problem{Doc: b.Name, Line: y.Open, Msg: fmt.Sprintf("block %d is %s for step %q, but in %s (line %d) %s for step %q", i+1, y.Info, y.Marker, a.Name, x.Open, x.Info, x.Marker)})
			continue
		}
		xl, yl := uncommented(x), uncommented(y)
		for j := 0; j < max(len(xl), len(yl)); j++ {
			switch {
			case j >= len(xl):
				out = append(out, Problem{Doc: b.Name, Line: yl[j].N, Msg: fmt.Sprintf("%q is not in %s's block at line %d", yl[j].Text, a.Name, x.Open)})
			case j >= len(yl):
				out = append(out, Problem{Doc: b.Name, Line: y.Open, Msg: fmt.Sprintf("the block lacks %q (%s line %d)", xl[j].Text, a.Name, xl[j].N)})
			case xl[j].Text != yl[j].Text:
				out = append(out, Problem{Doc: b.Name, Line: yl[j].N, Msg: fmt.Sprintf("%q differs from %s line %d: %q", yl[j].Text, a.Name, xl[j].N, xl[j].Text)})
			}
		}
	}
	return out
}

func uncommented(b markdown.Block) []markdown.Line {
	var out []markdown.Line
	for _, l := range b.Lines {
		t := strings.TrimSpace(l.Text)
		if t == "" || (b.Info != "text" && strings.HasPrefix(t, "#")) {
			continue
		}
		out = append(out, markdown.Line{N: l.N, Text: strings.TrimRight(l.Text, " \t")})
	}
	return out
}
