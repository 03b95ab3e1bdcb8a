package kind

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	kindexec "sigs.k8s.io/kind/pkg/exec"
)

// commandError is an error from kind with the output of the command that
// failed, which kind keeps out of its message (a failed `docker run` says
// only "exit status 125"). Credentials in URLs are masked: kind passes proxy
// variables to `docker run`, and its message repeats the command line.
type commandError struct {
	msg string
	err error
}

func (e *commandError) Error() string { return e.msg }
func (e *commandError) Unwrap() error { return e.err }

// maxOutputLines bounds the command output quoted in an error.
const maxOutputLines = 20

func withOutput(what string, err error) error {
	msg := what + ": " + err.Error()
	var run *kindexec.RunError
	if errors.As(err, &run) {
		lines := strings.Split(strings.TrimSpace(string(run.Output)), "\n")
		if len(lines) > maxOutputLines {
			lines = append([]string{fmt.Sprintf("[%d lines before]", len(lines)-maxOutputLines)}, lines[len(lines)-maxOutputLines:]...)
		}
		if out := strings.TrimSpace(strings.Join(lines, "\n")); out != "" {
			msg += "\n" + out
		}
	}
	return &commandError{msg: redact(msg), err: err}
}

var userinfo = regexp.MustCompile(`(://)[^/\s@]+@`)

// redact masks the user information of URLs (user:password@host).
func redact(s string) string { return userinfo.ReplaceAllString(s, "${1}***@") }
