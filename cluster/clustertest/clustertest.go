// Package clustertest helps the providers' tests.
package clustertest

import "testing"

// New is a provider's New for options a test expects to be good: any error
// fails the test at once.
func New[P any, O any](t testing.TB, newProvider func(...O) (P, error), opts ...O) P {
	t.Helper()
	p, err := newProvider(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
