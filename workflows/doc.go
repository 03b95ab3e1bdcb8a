// Package workflows has no code of its own. Its tests hold this
// repository's GitHub Actions workflows (.github/workflows), which cannot
// run here, to what can be checked without GitHub: every file passes
// actionlint, and the nightly workflow runs what it is for (every pinned
// Kind node image with its Ray, one report for all of its cells, the run
// directory kept when a cell fails), with every action pinned by SHA on a
// Node 24 release. The CI script's offline kind gate (scripts/ci-offline-kind,
// which .ci/run calls) is tested here too.
package workflows
