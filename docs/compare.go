// The rules over two translations: they carry the same blocks, and their
// external links correspond.

package docs

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/internal/markdown"
)

// Compare checks that two translations carry the same blocks: the same
// markers, info strings and lines, except full-line comments, which are
// translated. It also checks that their external links correspond (see
// compareLinks): a is the English page, b its translation.
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
	return append(out, compareLinks(a, b)...)
}

// compareLinks: every external (http, https) link of a appears in b, a page
// of kubernetes.io as its Chinese version (/zh-cn/ before the path), any
// other link as it is; and b links nothing a does not, in that form. One
// problem per link missing or extra.
func compareLinks(a, b *document.Document) []Problem {
	var out []Problem
	want := map[string]bool{}
	for _, l := range externalLinks(a) {
		want[translatedLink(l.Text)] = true
	}
	have := map[string]bool{}
	for _, l := range externalLinks(b) {
		have[l.Text] = true
		if want[l.Text] {
			continue
		}
		fix := "remove it, or link it in " + a.Name + " too"
		if u, _ := url.Parse(l.Text); isKubernetesIO(u) && !zhCN(u) && want[translatedLink(l.Text)] {
			fix = "link the Chinese page " + translatedLink(l.Text) + " instead"
		}
		out = append(out, Problem{Doc: b.Name, Line: l.Line, Msg: fmt.Sprintf("link %s is not among %s's links (kubernetes.io pages in their /zh-cn/ form): %s", l.Text, a.Name, fix)})
	}
	reported := map[string]bool{}
	for _, l := range externalLinks(a) {
		t := translatedLink(l.Text)
		if have[t] || reported[t] {
			continue
		}
		reported[t] = true
		what := "link it as it is"
		if t != l.Text {
			what = "link its Chinese page " + t
		}
		out = append(out, Problem{Doc: b.Name, Line: 1, Msg: fmt.Sprintf("%s links %s (line %d), this page does not: %s", a.Name, l.Text, l.Line, what)})
	}
	return out
}

// externalLinks are the document's links to http and https addresses.
func externalLinks(d *document.Document) []document.Span {
	var out []document.Span
	for _, l := range d.Links {
		if u, err := url.Parse(l.Text); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			out = append(out, l)
		}
	}
	return out
}

// translatedLink is the link the Chinese page carries for an English page's
// link: kubernetes.io's pages have a Chinese version under /zh-cn/.
func translatedLink(link string) string {
	u, err := url.Parse(link)
	if err != nil || !isKubernetesIO(u) || zhCN(u) {
		return link
	}
	u.Path = "/zh-cn" + u.Path
	if u.RawPath != "" {
		u.RawPath = "/zh-cn" + u.RawPath
	}
	return u.String()
}

func isKubernetesIO(u *url.URL) bool { return u != nil && strings.EqualFold(u.Host, "kubernetes.io") }

func zhCN(u *url.URL) bool { return u.Path == "/zh-cn" || strings.HasPrefix(u.Path, "/zh-cn/") }

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
