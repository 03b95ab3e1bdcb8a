// A command's words read into its program, positional arguments and flags,
// by one table of what each program's flags are (flagSpecs), so that
// `-n x`, `--namespace x` and `--namespace=x` are one flag to every check.

package document

import "strings"

// Command is one simple command of a shell block.
type Command struct {
	Line int
	// Block is the shell block's index in Document.Blocks.
	Block int
	// Dir is the directory the command runs in, as the document says
	// (a `# Path:` comment or cd), "" when it does not.
	Dir string
	// Env are leading NAME=value words, which set the command's environment.
	Env []string
	// Words are the command's words after Env: Words[0] is Program.
	Words   []string
	Program string
	// Args are the positional words after Program, in order; for kubectl
	// and helm Args[0] is the subcommand.
	Args []string
	// Flags are the flags in order, by their long name where the program's
	// spec gives one.
	Flags []Flag
	// Rest are the words after "--".
	Rest []string
	// PipedFrom are the words (Env included) of the simple command whose
	// output this one reads through "|", nil when it reads no pipe.
	PipedFrom []string
}

// Flag is one flag of a command. Known says the program's spec lists it;
// a flag it does not list is read as one without a value.
type Flag struct {
	Name, Value string
	HasValue    bool
	Known       bool
	// Valued says the program's spec gives the flag a value; one without
	// (HasValue false) ended the command.
	Valued bool
}

// flagSpec says which flags of a program take a value, each with the long
// name it stands for ("" when it is the long name), and which take none.
type flagSpec struct {
	valued  map[string]string
	boolean []string
}

// flagSpecs are the programs whose flags the checks read. A program not
// here has every flag read as one without a value.
var flagSpecs = map[string]flagSpec{
	"kubectl": {valued: map[string]string{
		"--namespace": "", "-n": "--namespace",
		"--filename": "", "-f": "--filename",
		"--selector": "", "-l": "--selector",
		"--output": "", "-o": "--output",
		"--container": "", "-c": "--container",
		"--field-selector": "", "--for": "", "--timeout": "", "--image": "", "--address": "", "--context": "", "--overrides": "",
	}},
	"helm": {valued: map[string]string{
		"--version": "", "--namespace": "", "-n": "--namespace", "--values": "", "-f": "--values", "--set": "", "--repo": "",
	}},
	"kind": {valued: map[string]string{"--image": "", "--config": "", "--name": ""}},
	"go":   {valued: map[string]string{"-run": "", "-timeout": "", "--doc": "", "--kuberay": "", "--kubernetes-version": "", "--kuberay-version": ""}, boolean: []string{"-v", "-args", "--dry-run", "-short", "-count"}},
	"curl": {boolean: []string{"-s", "-S", "-f", "-L", "-sSL", "-fsSL"}, valued: map[string]string{"-o": "", "-H": ""}},
}

func newCommand(line, block int, words []string) Command {
	c := Command{Line: line, Block: block}
	for len(words) > 0 && envAssignRE.MatchString(words[0]) {
		c.Env = append(c.Env, words[0])
		words = words[1:]
	}
	c.Words = words
	if len(words) == 0 {
		return c
	}
	c.Program = words[0]
	spec := flagSpecs[c.Program]
	for i := 1; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			c.Rest = words[i+1:]
			break
		}
		if !strings.HasPrefix(w, "-") || w == "-" {
			c.Args = append(c.Args, w)
			continue
		}
		name, value, hasValue := strings.Cut(w, "=")
		if long, ok := spec.valued[name]; ok {
			if long != "" {
				name = long
			}
			if !hasValue && i+1 < len(words) {
				i++
				value, hasValue = words[i], true
			}
			c.Flags = append(c.Flags, Flag{Name: name, Value: value, HasValue: hasValue, Known: true, Valued: true})
			continue
		}
		known := false
		for _, b := range spec.boolean {
			known = known || b == name
		}
		c.Flags = append(c.Flags, Flag{Name: name, Value: value, HasValue: hasValue, Known: known})
	}
	return c
}

// Values are the values of flag name (its long name where there is one),
// in order.
func (c Command) Values(name string) []string {
	var out []string
	for _, f := range c.Flags {
		if f.Name == name && f.HasValue {
			out = append(out, f.Value)
		}
	}
	return out
}

// Value is the last value of flag name, as a program reads a repeated flag.
func (c Command) Value(name string) (string, bool) {
	v := c.Values(name)
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Has reports whether the command sets flag name, with or without a value.
func (c Command) Has(name string) bool {
	for _, f := range c.Flags {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Sub is the subcommand: the first positional argument, "" for none.
func (c Command) Sub() string {
	if len(c.Args) == 0 {
		return ""
	}
	return c.Args[0]
}
