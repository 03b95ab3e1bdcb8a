package podsecurity

import (
	"fmt"
	"path"
	"strings"
)

// CompareAPIServer checks that apiMessage, the API server's refusal of this
// pod as its creator saw it (the error, an event quoting it, or the audit
// log's responseStatus.message), says word for word what v says. The pod's
// name is read from the message, since the API server picks part of it. The
// error shows both messages and where they part.
func (v Verdict) CompareAPIServer(apiMessage string) error {
	if v.Allowed {
		return fmt.Errorf("%s %s passes %s statically, but the API server refused it: %s", v.Where, v.Role, v.Policy, apiMessage)
	}
	const lead = `pods "`
	i := strings.Index(apiMessage, lead)
	if i < 0 {
		return fmt.Errorf("the API server's message has no `pods \"NAME\" is forbidden:` refusal of a pod: %q", apiMessage)
	}
	got := apiMessage[i:]
	end := strings.Index(got[len(lead):], `"`)
	if end < 0 {
		return fmt.Errorf("the API server's message has no closing quote after the pod's name: %q", apiMessage)
	}
	name := got[len(lead) : len(lead)+end]
	want := v.Forbidden(name)
	if got != want {
		at := 0
		for at < len(got) && at < len(want) && got[at] == want[at] {
			at++
		}
		return fmt.Errorf("the API server and the static check word the refusal of %s %s differently, from byte %d on:\nAPI server: %s\nstatic:     %s\nAPI server from there: %s\nstatic from there:     %s",
			v.Where, v.Role, at, got, want, orEnd(got[at:]), orEnd(want[at:]))
	}
	if ok, _ := path.Match(v.Pod, name); !ok {
		return fmt.Errorf("the API server refused pod %q, but the static check expected the %s pod of %s to be named %s", name, v.Role, v.Where, v.Pod)
	}
	return nil
}

func orEnd(s string) string {
	if s == "" {
		return "(end)"
	}
	return s
}
