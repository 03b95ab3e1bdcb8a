# Entry points for people and CI. Everything runs through `go test`; the
# local tier builds and caches its own binaries on first use.

GO        ?= go
GOTESTSUM ?= $(GO) run gotest.tools/gotestsum@v1.13.0
OUTPUT    ?= _output
TIMEOUT   ?= 60m
JUNIT_KIND ?= $(OUTPUT)/junit-kind.xml

.PHONY: all test tutorial unit matrix binaries offline-images offline-check e2e-kind e2e-kind-offline e2e-local-1.34 vet fmt clean

all: test

## test: every package's tests and the tutorial on the local tier, with JUnit XML in _output/junit.xml
## (and _output/junit-node-ready.xml). -p 1: the suite and the self-tests each start a control plane; one
## at a time fits 2 cores. The one test that mostly waits (the local node stays Ready for 5 minutes) runs
## beside them instead of after them, once the binaries are built, so that two runs never build them both.
NODE_READY := ^TestNodeAndPodStayReady$$
test:
	@mkdir -p $(OUTPUT)
	$(GO) run ./cmd/local-binaries -tools
	@$(GOTESTSUM) --format testname --junitfile $(OUTPUT)/junit-node-ready.xml -- -count=1 -timeout $(TIMEOUT) -run '$(NODE_READY)' ./cluster/local > $(OUTPUT)/node-ready.log 2>&1 & node=$$!; \
	$(GOTESTSUM) --format testname --junitfile $(OUTPUT)/junit.xml -- -count=1 -p 1 -timeout $(TIMEOUT) -skip '$(NODE_READY)' ./...; rest=$$?; \
	wait $$node; ready=$$?; echo "--- $(NODE_READY) (beside the rest, ./cluster/local):"; cat $(OUTPUT)/node-ready.log; \
	test $$rest = 0 && test $$ready = 0

## tutorial: the tutorial's steps on the provider E2E_PROVIDER names (local by default)
tutorial:
	$(GO) test ./e2e -count=1 -v -timeout $(TIMEOUT)

## unit: the fast tests (-short): no control plane, no Docker daemon, no cold build
unit:
	$(GO) test -short -count=1 $$($(GO) list ./... | grep -v /e2e$$)

## matrix: the tutorial on the local tier for every Kubernetes × KubeRay pin, report in _output/matrix/matrix.md (MATRIX_FLAGS, e.g. -cells 1.24/v1.6.2)
matrix:
	$(GO) run ./cmd/matrix $(MATRIX_FLAGS)

## binaries: build the local tier's pinned binaries and the reader's kubectl and helm into the cache (first run only)
binaries:
	$(GO) run ./cmd/local-binaries -tools
	$(GO) run ./cmd/local-binaries -kubernetes 1.34

## offline-images: build the offline Kind tier's node, Ray, operator and probe images and package index into the cache (root; no registry)
offline-images:
	scripts/offline-images

## offline-check: private dockerds in their own network namespaces run the offline images and a kind cluster, then are removed (root)
offline-check: offline-images
	$(GO) test -count=1 -v -timeout 20m ./offline/...

## e2e-kind: the tutorial on a real Kind cluster (needs a Docker or Podman engine and internet), JUnit XML in $(JUNIT_KIND)
e2e-kind:
	@mkdir -p $(dir $(JUNIT_KIND))
	E2E_PROVIDER=kind $(GOTESTSUM) --format standard-verbose --junitfile $(JUNIT_KIND) -- -count=1 -timeout $(TIMEOUT) ./e2e

## e2e-kind-offline: every step on a real Kind cluster with nothing pulled, inside a private dockerd's network namespace (root)
e2e-kind-offline:
	scripts/e2e-kind-offline

## e2e-local-1.34: the tutorial on the local tier with current Kubernetes
e2e-local-1.34:
	E2E_KUBERNETES_VERSION=1.34 $(GO) test ./e2e -count=1 -v -timeout $(TIMEOUT)

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(OUTPUT)
