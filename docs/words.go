// Reading a command: its words split into positional arguments, flag values
// and the words after "--", the structure the command rules check.

package docs

import (
	"slices"
	"strings"
)

// flags splits a command's words into positional arguments and flag values.
// valued lists the flags that take a value; a flag not in it is reported.
// Words after "--" are returned as rest.
type parsed struct {
	args  []string
	flags map[string][]string
	rest  []string
}

func (c *checker) parse(line int, words []string, valued map[string]string, boolean ...string) parsed {
	p := parsed{flags: map[string][]string{}}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			p.rest = words[i+1:]
			break
		}
		if !strings.HasPrefix(w, "-") || w == "-" {
			p.args = append(p.args, w)
			continue
		}
		name, value, hasValue := strings.Cut(w, "=")
		if long, ok := valued[name]; ok {
			if long != "" {
				name = long
			}
			if !hasValue {
				if i+1 >= len(words) {
					c.addf(line, "flag %s has no value", name)
					break
				}
				i++
				value = words[i]
			}
			p.flags[name] = append(p.flags[name], value)
			continue
		}
		if slices.Contains(boolean, name) {
			p.flags[name] = append(p.flags[name], "true")
			continue
		}
		c.addf(line, "%s: flag %s is not one the command's rules in docs/ know: teach them what the flag's value must equal, or remove the flag", words[0], name)
	}
	return p
}

func (p parsed) one(name string) (string, bool) {
	v := p.flags[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}
