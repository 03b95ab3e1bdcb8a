package markdown

import (
	"strings"
)

// Command is one command line of a shell block, with backslash continuations
// joined.
type Command struct {
	// Line is where the command starts.
	Line int
	// Text is the command as written, continuations joined by spaces.
	Text string
	// Words are the shell words with quotes removed. Operators (|, ||, &&,
	// ;, &, >, >>, <) are words of their own, so Segments can split on them.
	Words []string
	// Comment is a trailing "# …" comment, without the "#".
	Comment string
}

// Comment is a full-line comment in a shell block.
type Comment struct {
	Line int
	Text string
}

// Commands returns the block's commands. In a console block only lines that
// start with a "$ " prompt are commands; the rest is output.
func (b Block) Commands() []Command {
	cmds, _, _ := b.split()
	return cmds
}

// Comments returns the block's full-line comments.
func (b Block) Comments() []Comment {
	_, comments, _ := b.split()
	return comments
}

// Output returns the lines of a console block that are not commands.
func (b Block) Output() []Line {
	_, _, out := b.split()
	return out
}

func (b Block) split() (cmds []Command, comments []Comment, output []Line) {
	if !b.IsShell() {
		return nil, nil, nil
	}
	console := b.IsConsole()
	for i := 0; i < len(b.Lines); i++ {
		l := b.Lines[i]
		t := strings.TrimSpace(l.Text)
		if console {
			if !strings.HasPrefix(t, "$ ") && t != "$" {
				if t != "" {
					output = append(output, l)
				}
				continue
			}
			t = strings.TrimSpace(strings.TrimPrefix(t, "$"))
		}
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "#") {
			comments = append(comments, Comment{Line: l.N, Text: strings.TrimSpace(strings.TrimPrefix(t, "#"))})
			continue
		}
		start := l.N
		for strings.HasSuffix(t, `\`) && i+1 < len(b.Lines) {
			i++
			t = strings.TrimSuffix(t, `\`) + " " + strings.TrimSpace(b.Lines[i].Text)
		}
		words, comment := Words(t)
		cmds = append(cmds, Command{Line: start, Text: t, Words: words, Comment: comment})
	}
	return cmds, comments, output
}

// Words splits a command line into shell words: quotes are removed, a
// backslash escapes the next character outside single quotes, "#" at the
// start of a word begins a comment, and operators are words of their own.
// $(...) and ${...} are kept as written inside their word.
func Words(s string) (words []string, comment string) {
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			return words, strings.TrimSpace(s[i+1:])
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
				break
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\' && i+1 < len(s):
			inWord = true
			i++
			cur.WriteByte(s[i])
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			inWord = true
			open, closing := s[i+1], byte(')')
			if open == '{' {
				closing = '}'
			}
			depth := 0
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == open {
					depth++
				} else if s[j] == closing {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= len(s) {
				j = len(s) - 1
			}
			cur.WriteString(s[i : j+1])
			i = j
		case strings.IndexByte("|&;<>", c) >= 0:
			flush()
			op := string(c)
			if i+1 < len(s) && (s[i+1] == c || (c == '>' && s[i+1] == '&')) {
				op += string(s[i+1])
				i++
			}
			words = append(words, op)
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	flush()
	return words, ""
}

// IsOperator reports whether a word from Words is a shell operator.
func IsOperator(w string) bool {
	switch w {
	case "|", "||", "&&", ";", "&", ">", ">>", "<", ">&", "<<":
		return true
	}
	return false
}

// Segments splits words at operators into simple commands. The word after a
// redirection (a file name) is dropped with it.
func Segments(words []string) [][]string {
	var out [][]string
	for _, s := range SimpleCommands(words) {
		out = append(out, s.Words)
	}
	return out
}

// Simple is one simple command of a command line. Piped says it reads the
// output of the simple command before it through "|".
type Simple struct {
	Words []string
	Piped bool
}

// SimpleCommands splits words at operators into simple commands, as
// Segments does, and says which of them read from a pipe.
func SimpleCommands(words []string) []Simple {
	var out []Simple
	var cur []string
	piped, next := false, false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, Simple{Words: cur, Piped: piped})
		}
		cur = nil
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == ">" || w == ">>" || w == "<" || w == ">&" || w == "<<":
			i++
		case IsOperator(w):
			flush()
			next = w == "|"
		default:
			if cur == nil {
				piped, next = next, false
			}
			cur = append(cur, w)
		}
	}
	flush()
	return out
}
