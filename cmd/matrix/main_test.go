package main

import (
	"bytes"
	"strings"
	"testing"
)

// Bad flags and cell names stop the command at once with one line and exit
// status 2, before anything is compiled or started.
func TestBadInputExitsTwo(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-cells", "1.30/v1.6.2"}, `matrix: cell "1.30/v1.6.2": Kubernetes version "1.30" is not pinned`},
		{[]string{"-kuberay", "v1.7.0"}, `matrix: -kuberay: KubeRay version "v1.7.0" is not pinned; choose one of v1.5.1, v1.6.2`},
		{[]string{"-parallel", "-1"}, "matrix: -parallel takes 0 (automatic) or more"},
		{[]string{"extra"}, `matrix: unexpected argument "extra"`},
		{[]string{"-nope"}, "matrix: flag provided but not defined: -nope"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != 2 || !strings.HasPrefix(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line %q", c.args, code, stdout.String(), stderr.String(), c.want)
		}
	}
}

func TestAutoParallelStaysWithinCoresAndCells(t *testing.T) {
	if n := autoParallel(1); n != 1 {
		t.Errorf("one cell: %d at a time", n)
	}
	if n := autoParallel(100); n < 1 || n > 100 {
		t.Errorf("100 cells: %d at a time", n)
	}
}
