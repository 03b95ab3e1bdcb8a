// A command as the rules check it: package document read its words into
// arguments and flags once; here each rule says which flags it checks, and
// any other flag is a problem, so that no flag passes unchecked.

package docs

import (
	"slices"

	"github.com/kuberay-docs/pod-security-e2e/document"
)

// parsed is a command's positional arguments (args[0] is the program), its
// flags by long name and the words after "--".
type parsed struct {
	args  []string
	flags map[string][]string
	rest  []string
}

// parse takes co's arguments and flags; checked are the flags (long names)
// the calling rule checks. A flag it does not check, or one whose value is
// missing, is reported.
func (c *checker) parse(co document.Command, checked ...string) parsed {
	p := parsed{args: append([]string{co.Program}, co.Args...), flags: map[string][]string{}, rest: co.Rest}
	for _, f := range co.Flags {
		if !slices.Contains(checked, f.Name) {
			c.addf(co.Line, "%s: flag %s is not one the command's rules in docs/ know: teach them what the flag's value must equal, or remove the flag", co.Program, f.Name)
			continue
		}
		switch {
		case f.Valued && !f.HasValue:
			c.addf(co.Line, "flag %s has no value", f.Name)
		case f.HasValue:
			p.flags[f.Name] = append(p.flags[f.Name], f.Value)
		default:
			p.flags[f.Name] = append(p.flags[f.Name], "true")
		}
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
