// The tutorial page as the steps' script (package page). Each step runs its
// own shell blocks as a reader types them, in a copy of this repository made
// for the run, with the kubectl and helm built here, and holds each block to
// the exit status and the output blocks the page shows; the step's other
// checks then read what the blocks did. The page performs the steps: the
// harness only reads, and prepares what a reader would have (the checkout,
// the tools, and offline the hosts the page fetches from).

package e2e

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/yaml"

	helmrepo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/kuberay-docs/pod-security-e2e/binaries"
	"github.com/kuberay-docs/pod-security-e2e/chart"
	"github.com/kuberay-docs/pod-security-e2e/cluster/kind"
	"github.com/kuberay-docs/pod-security-e2e/document"
	"github.com/kuberay-docs/pod-security-e2e/evidence"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/hostproxy"
	"github.com/kuberay-docs/pod-security-e2e/internal/feature"
	"github.com/kuberay-docs/pod-security-e2e/internal/files"
	"github.com/kuberay-docs/pod-security-e2e/internal/proc"
	"github.com/kuberay-docs/pod-security-e2e/internal/repo"
	"github.com/kuberay-docs/pod-security-e2e/internal/settings"
	"github.com/kuberay-docs/pod-security-e2e/page"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// pageDirPrefix names the run's page directory, which a run killed with
// -9 leaves; the next run removes it.
const pageDirPrefix = "kuberay-e2e-page-"

// pageRun is the page as this run runs it.
type pageRun struct {
	snips []page.Snip
	// dir holds the checkout the blocks run in, the shell's HOME, GOPATH
	// and the proxy's CA; the "before" blocks run in dir itself, where
	// the page's git clone makes its own copy. removeDir removes it, also
	// on Ctrl-C.
	dir, checkout string
	removeDir     func()
	shell         *page.Shell
	proxy         *hostproxy.Proxy
	// decides: the run has the page's own versions, so that an output
	// that differs from the page's fails the step; elsewhere it is recorded.
	decides bool
	// changes are what the run changed for its cell, one line each.
	changes []string
	// direct are the hosts the blocks reach past the proxy (go's module
	// proxy).
	direct []string
	// noClone says why the page's git clone cannot be answered ("" when
	// it can).
	noClone string

	mu         sync.Mutex
	background map[string][]*page.Background
}

// readPage reads the page before any cluster is made: a page that cannot
// run costs a second.
func readPage(path string) (*pageRun, error) {
	snips, err := page.Read(path)
	if err != nil {
		return nil, err
	}
	// Messages name the page as a reader of this repository does.
	if root, err := repo.Root(); err == nil {
		if rel, err := filepath.Rel(root, path); err == nil && filepath.IsLocal(rel) {
			for i := range snips {
				snips[i].File = rel
			}
		}
	}
	if len(snips) == 0 {
		return nil, fmt.Errorf("%s has no shell blocks with step markers: name the tutorial page (E2E_PAGE)", path)
	}
	return &pageRun{snips: snips, background: map[string][]*page.Background{}}, nil
}

// kindCreate is the `kind create cluster` command of block s, if it has
// one.
func kindCreate(s page.Snip) (document.Command, bool) {
	for _, c := range s.Commands {
		if c.Program == "kind" && slices.Equal(c.Args, []string{"create", "cluster"}) {
			return c, true
		}
	}
	return document.Command{}, false
}

// clusterName is the name the page's step 1 gives its Kind cluster ("" without
// a kind line).
func (p *pageRun) clusterName() string {
	for _, s := range page.Of(p.snips, "1") {
		if c, ok := kindCreate(s); ok {
			return kindName(c)
		}
	}
	return ""
}

// kindName is the cluster a kind command names: "kind" when it names none,
// as kind does.
func kindName(c document.Command) string {
	if name, ok := c.Value("--name"); ok {
		return name
	}
	return "kind"
}

// preparePage makes what a reader has when the steps begin: a checkout of
// this repository (the page's files, with the run's cell in them), kubectl
// and helm of the pinned versions, and, without internet, the hosts the page
// fetches from.
func preparePage(ctx context.Context, _ *envconf.Config) (context.Context, error) {
	h := harnessFrom(ctx)
	p := h.page
	var err error
	if p.dir, err = files.OwnedTempDir(pageDirPrefix); err != nil {
		return ctx, err
	}
	dir := p.dir
	p.removeDir = proc.OnInterrupt(func() { os.RemoveAll(dir) })
	root, err := repo.Root()
	if err != nil {
		return ctx, err
	}
	// Not named as the page's clone is, which the "before" blocks make
	// beside it.
	p.checkout = filepath.Join(p.dir, "checkout")
	if err := copyCheckout(root, p.checkout); err != nil {
		return ctx, fmt.Errorf("copy the repository for the page's blocks: %w", err)
	}
	if err := h.adaptPage(); err != nil {
		return ctx, err
	}
	k, err := versions.LookupKubernetes(h.cfg.Kubernetes)
	if err != nil {
		return ctx, err
	}
	tools, err := binaries.EnsureTools(ctx, k, binaries.WithProgress(os.Stdout), binaries.WithDeadline(binaries.TestTimeoutDeadline()))
	if err != nil {
		return ctx, err
	}
	opts := []page.Option{page.WithDir(p.checkout), page.WithTool("kubectl", tools.Kubectl), page.WithTool("helm", tools.Helm), page.WithKubeconfig(h.kubeconfig)}
	goOpts, goHosts, err := goTool(p.goPath())
	if err != nil {
		return ctx, err
	}
	opts = append(opts, goOpts...)
	if h.cfg.Provider == "kind" {
		// The page's docker lines reach the nodes through the engine the
		// tier runs them on (offline: the private daemon, DOCKER_HOST).
		docker, err := exec.LookPath("docker")
		if err != nil {
			return ctx, fmt.Errorf("the page's docker lines need the docker command: %w", err)
		}
		opts = append(opts, page.WithTool("docker", docker), page.WithEnv(passEnv("DOCKER_HOST", "DOCKER_CONTEXT", "KIND_EXPERIMENTAL_DOCKER_NETWORK")...))
	}
	if hosts, err := h.pageHosts(); err != nil {
		return ctx, err
	} else if len(hosts) > 0 {
		if p.proxy, err = hostproxy.Start(p.dir, hosts); err != nil {
			return ctx, err
		}
		opts = append(opts, page.WithEnv(p.proxy.Env(goHosts...)...))
		h.run.SetMeta("page hosts", "answered here: "+strings.Join(p.proxy.Hosts(), ", "))
		// This machine's, so not in the run's meta, which quotes compare.
		p.direct = goHosts
	}
	if p.shell, err = page.NewShell(p.dir, opts...); err != nil {
		return ctx, err
	}
	p.decides = h.cfg.Kubernetes == versions.DefaultKubernetes && h.cfg.KubeRay.IsDefault() && h.cfg.Ray.IsDefault()
	h.run.SetMeta("page", p.snips[0].File)
	if len(p.changes) > 0 {
		_ = h.run.WriteFile("page-changes.txt", []byte(strings.Join(p.changes, "\n")+"\n"))
	}
	return ctx, nil
}

// finishPage stops what the page left running and removes its directory,
// after the proxy's log went to the evidence.
func (h *harness) finishPage() {
	p := h.page
	if p == nil || p.dir == "" {
		return
	}
	for step := range p.background {
		p.stopBackground(step)
	}
	if p.proxy != nil {
		var log []string
		if len(p.direct) > 0 {
			log = append(log, "# not through this proxy, as go is configured here: "+strings.Join(p.direct, ", "))
		}
		for _, r := range p.proxy.Log() {
			log = append(log, r.String())
		}
		_ = h.run.WriteFile("page-hosts.log", []byte(strings.Join(log, "\n")+"\n"))
		_ = p.proxy.Close()
	}
	if !h.cfg.Keep {
		_ = os.RemoveAll(p.dir)
	}
	p.removeDir()
}

// copyCheckout copies the repository's files, as a clone has them: no
// .git, no _output.
func copyCheckout(root, dst string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "_output") {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return files.Copy(path, target)
		}
		return nil
	})
}

// goTool is the reader's go for `go run` and `go install`, with the module
// and build caches of the user (only caches: the module's code decides what
// runs), so that a block builds what this run already built, and a GOPATH
// of the run's, whose bin (on PATH, as the page asks) gets what the blocks
// install. hosts are the hosts of go's module proxy and checksum database,
// which go reaches as the user's go does, past the run's proxy.
func goTool(gopath string) (opts []page.Option, hosts []string, err error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, nil, fmt.Errorf("the page's go run lines need the go command: %w", err)
	}
	out, err := exec.Command(goBin, "env", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOSUMDB").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("go env: %w", err)
	}
	vals := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(vals) != 4 {
		return nil, nil, fmt.Errorf("go env printed %q", out)
	}
	hosts = page.GoHosts(vals[2], vals[3])
	env := []string{"GOCACHE=" + vals[0], "GOMODCACHE=" + vals[1], "GOPATH=" + gopath}
	env = append(env, passEnv("GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOFLAGS", "GOTOOLCHAIN", "GOINSECURE")...)
	return []page.Option{page.WithTool("go", goBin), page.WithEnv(env...), page.WithInstallDir(filepath.Join(gopath, "bin"))}, hosts, nil
}

// passEnv are the named variables the harness has, as NAME=value.
func passEnv(names ...string) []string {
	var out []string
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok {
			out = append(out, n+"="+v)
		}
	}
	return out
}

// adaptPage makes the page's blocks and files those of the run's cell, in
// this one place, and records every change: another KubeRay release, another
// Ray, the images the offline tier builds, token authentication.
func (h *harness) adaptPage() error {
	p := h.page
	replace := func(old, new, why string) {
		if old == new {
			return
		}
		if n := page.Replace(p.snips, old, new); n > 0 {
			p.changes = append(p.changes, fmt.Sprintf("%d blocks: %q for %q (%s)", n, new, old, why))
		}
	}
	r := h.cfg.KubeRay
	replace("--version "+versions.KubeRayChartVersion, "--version "+r.ChartVersion(), "KubeRay "+r.Version+"'s chart")
	replace("/kuberay/"+versions.KubeRay+"/", "/kuberay/"+r.Version+"/", "KubeRay "+r.Version+"'s sample")
	replace(versions.PauseImage, h.cfg.ProbeImage, "the run's probe image")
	if h.cfg.Ray.TokenAuth() {
		// The page's Ray has no token authentication; this Ray's dashboard
		// refuses a request without the token KubeRay keeps in a Secret.
		replace("curl -s http://127.0.0.1:8265/", `curl -s -H "X-Ray-Authorization: Bearer $(kubectl get secret `+fixtures.RayClusterName+` --namespace `+namespace+` --output jsonpath='{.data.`+fixtures.TokenSecretKey+`}' | base64 --decode)" http://127.0.0.1:8265/`, "Ray "+h.cfg.Ray.Version+" with token authentication")
	}
	// The files the page applies, with the run's images and Ray.
	values, err := fixtures.OperatorValues()
	if err != nil {
		return err
	}
	if err := fixtures.SetOperatorImage(values, h.cfg.OperatorImage); err != nil {
		return err
	}
	if h.cfg.OperatorImage != versions.DefaultKubeRay().OperatorImage() {
		if err := p.writeFixture(filepath.Join("fixtures", fixtures.OperatorValuesFile), values); err != nil {
			return err
		}
		p.changes = append(p.changes, fmt.Sprintf("fixtures/%s: operator image %s", fixtures.OperatorValuesFile, h.cfg.OperatorImage))
	}
	if h.cfg.Ray.IsDefault() && h.cfg.RayImage == versions.RayImage {
		return nil
	}
	for _, name := range append([]string{fixtures.PodSecurityClusterFile}, fixtures.RayJobFiles...) {
		f := filepath.Join("fixtures", name)
		data, err := os.ReadFile(filepath.Join(p.checkout, f))
		if err != nil {
			return err
		}
		objs, err := fixtures.Decode(f, data)
		if err != nil {
			return err
		}
		if _, err := fixtures.SetRay(objs, h.cfg.Ray, h.cfg.RayImage); err != nil {
			return err
		}
		docs := make([]any, len(objs))
		for i, o := range objs {
			docs[i] = o.Object
		}
		if err := p.writeFixture(f, docs...); err != nil {
			return err
		}
		p.changes = append(p.changes, fmt.Sprintf("%s: Ray %s, image %s", f, h.cfg.Ray.Version, h.cfg.RayImage))
	}
	return nil
}

// writeFixture writes the YAML documents docs as the checkout's file rel.
func (p *pageRun) writeFixture(rel string, docs ...any) error {
	var out []string
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			return err
		}
		out = append(out, string(b))
	}
	return os.WriteFile(filepath.Join(p.checkout, rel), []byte(strings.Join(out, "---\n")), 0o644)
}

// pageHosts are the hosts the page fetches from that this run answers
// itself: github.com (the clone of this repository, from its own git
// directory: the commit under test, not what GitHub has), KubeRay's chart
// repository (with the run's chart) and raw.githubusercontent.com
// (KubeRay's files, from the pinned module or E2E_KUBERAY_DIR). A kind
// run with internet and the published chart answers none: the page then
// fetches what a reader fetches.
func (h *harness) pageHosts() (map[string]http.Handler, error) {
	if h.cfg.Provider == "kind" && !h.cfg.Offline && h.cfg.Chart == chart.Repo {
		return nil, nil
	}
	hosts := map[string]http.Handler{}
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	owner, isGitHub := strings.CutPrefix(repo.Module, "github.com/")
	switch git, err := hostproxy.GitRepository(owner, filepath.Join(root, ".git"), h.page.dir); {
	case !isGitHub:
		h.page.noClone = "the module " + repo.Module + " is not on github.com, where the page clones it from"
	case err != nil:
		// A checkout without its git directory (an archive of it).
		h.page.noClone = err.Error()
	default:
		hosts["github.com"] = git
	}
	if h.cfg.Chart != chart.Repo {
		c, err := chart.Load(h.cfg.Chart, h.page.dir, h.cfg.KubeRay)
		if err != nil {
			return nil, err
		}
		repo, err := chart.NewRepository(versions.KubeRayChartRepo, h.page.dir, c)
		if err != nil {
			return nil, err
		}
		hosts[repo.Host] = repo
	}
	dir, err := upstream.Dir(h.cfg.KubeRay)
	if err != nil {
		return nil, err
	}
	hosts["raw.githubusercontent.com"] = kubeRayFiles(dir, h.cfg.KubeRay.Version)
	return hosts, nil
}

// kubeRayFiles answers raw.githubusercontent.com/ray-project/kuberay/<tag>/
// ray-operator/... from dir, KubeRay's ray-operator directory of release
// tag; any other path is not found.
func kubeRayFiles(dir, tag string) http.Handler {
	prefix := "/ray-project/kuberay/" + tag + "/ray-operator/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok || !filepath.IsLocal(rel) {
			http.NotFound(w, r)
			return
		}
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(data)
	})
}

// phases splits a step's blocks: those that need only an API server, up
// to the first that needs more; the rest, which need a Kind node or running
// containers; and the deletions that end the step (blocks of kubectl delete
// alone), which the step's last check runs.
func (p *pageRun) phases(step string) (plain, more, deletes []page.Snip) {
	snips := page.Of(p.snips, step)
	end := len(snips)
	for end > 0 && onlyDeletes(snips[end-1]) {
		end--
	}
	deletes = snips[end:]
	for i, s := range snips[:end] {
		node, containers, _ := s.Needs()
		if node || containers {
			return snips[:i], snips[i:end], deletes
		}
	}
	return snips[:end], nil, deletes
}

func onlyDeletes(s page.Snip) bool {
	for _, c := range s.Commands {
		if c.Program != "kubectl" || c.Sub() != "delete" {
			return false
		}
	}
	return len(s.Commands) > 0
}

// Check names of the page's blocks, in every step that has them, and of
// the blocks before step 1 and after the last step.
const (
	checkPage        = "the page's commands run as written"
	checkPageMore    = "the page's commands on the node and in containers run as written"
	checkPageBefore  = "the page's Before you begin commands run as written: the clone, kind, kubectl and helm"
	checkPageCleanUp = "the page's clean-up removes the cluster and the chart repository"
)

// runPageBefore is step 1's first check: what the page has a reader do
// before step 1, in the directory the page's clone goes into. Then what
// the blocks left: a clone holding every file the page's commands name,
// and kind of the pinned release where the page says go install puts it.
func runPageBefore(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	h := harnessFrom(ctx)
	p := h.page
	snips := p.need(t, "before", page.Of(p.snips, "before"), "prepares the reader's tools")
	if p.noClone != "" {
		feature.Skip(ctx, t, "the page's git clone cannot be answered here: "+p.noClone)
	}
	h.runSnips(ctx, t, snips)
	g := gomega.NewWithT(t)
	clone := filepath.Join(p.dir, filepath.Base(repo.Module))
	named := p.files()
	g.Expect(named).NotTo(gomega.BeEmpty(), "the page's commands name no file of this repository")
	for _, f := range named {
		g.Expect(filepath.Join(clone, f)).To(gomega.BeARegularFile(), "the page's commands name %s, which the page's clone lacks: commit it", f)
	}
	note(ctx, t, "the page's clone holds the %d files its commands name: %s", len(named), strings.Join(named, ", "))
	info, err := buildinfo.ReadFile(filepath.Join(p.goPath(), "bin", "kind"))
	g.Expect(err).NotTo(gomega.HaveOccurred(), "the page's go install left no kind in $(go env GOPATH)/bin")
	g.Expect(info.Main.Path+"@"+info.Main.Version).To(gomega.Equal("sigs.k8s.io/kind@"+versions.KindLibrary), "the kind the page installs is the release this project pins")
	note(ctx, t, "kind %s installed by the page's go install into $(go env GOPATH)/bin, built with %s", info.Main.Version, info.GoVersion)
	return ctx
}

// goPath is the blocks' GOPATH, whose bin the page's go install fills.
func (p *pageRun) goPath() string { return filepath.Join(p.dir, "go") }

// files are this repository's files the page's commands name, such as
// kind-config.yaml, as the run's checkout has them.
func (p *pageRun) files() []string {
	var out []string
	for _, s := range p.snips {
		for _, c := range s.Commands {
			for _, w := range c.Words {
				if _, v, ok := strings.Cut(w, "="); ok && strings.HasPrefix(w, "-") {
					w = v
				}
				if !filepath.IsLocal(w) || slices.Contains(out, w) {
					continue
				}
				if info, err := os.Stat(filepath.Join(p.checkout, w)); err == nil && info.Mode().IsRegular() {
					out = append(out, w)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// runPageCleanUp is the last step's last check: the page's clean-up, run
// as written, deletes the cluster (which the run then need not) and the
// Helm repository it added. What the run saves of the cluster is saved
// first.
func runPageCleanUp(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
	h := harnessFrom(ctx)
	p := h.page
	snips := p.need(t, "clean-up", page.Of(p.snips, "clean-up"), "deletes the cluster")
	h.skipWithoutNode(ctx, t, snips)
	k, ok := h.provider.(*kind.Cluster)
	switch {
	case !ok:
		t.Fatalf("the kind tier's cluster is a %T", h.provider)
	case h.cfg.Keep:
		feature.Skip(ctx, t, "E2E_KEEP=1 keeps the cluster, which the page's clean-up deletes")
	case h.cfg.KindReuse:
		feature.Skip(ctx, t, "E2E_KIND_REUSE=1 runs on a cluster kept for more runs, which the page's clean-up deletes")
	}
	h.saveEvidence(ctx)
	h.runSnips(ctx, t, snips)
	g := gomega.NewWithT(t)
	exists, err := k.Exists()
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(exists).To(gomega.BeFalse(), "cluster %s is still there after the page's kind delete cluster", k.ClusterName)
	h.gone.Store(true)
	// Every repository the page added is gone.
	added := p.helmReposAdded()
	g.Expect(added).NotTo(gomega.BeEmpty(), "the page adds no Helm repository")
	repos, err := helmrepo.LoadFile(filepath.Join(p.shell.ConfigDir(), "helm", "repositories.yaml"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	for _, name := range added {
		g.Expect(repos.Has(name)).To(gomega.BeFalse(), "Helm still lists the repository %s, which the page added", name)
	}
	note(ctx, t, "the kind library finds no cluster %s; Helm lists none of the repositories the page added (%s)", k.ClusterName, strings.Join(added, ", "))
	return ctx
}

// helmReposAdded are the names of the page's `helm repo add NAME URL`.
func (p *pageRun) helmReposAdded() []string {
	var out []string
	for _, s := range p.snips {
		for _, c := range s.Commands {
			if c.Program == "helm" && len(c.Args) >= 3 && c.Args[0] == "repo" && c.Args[1] == "add" {
				out = append(out, c.Args[2])
			}
		}
	}
	return out
}

// runPage is a step's check of its blocks that need only an API server.
func runPage(step string) func(context.Context, *testing.T, *envconf.Config) context.Context {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		h := harnessFrom(ctx)
		plain, _, _ := h.page.phases(step)
		h.runSnips(ctx, t, h.page.need(t, step, plain, "needs only an API server"))
		return ctx
	}
}

// runPageMore is a step's check of its blocks that need a Kind node or
// running containers: skipped, with the reason, where the tier has neither.
func runPageMore(step string) func(context.Context, *testing.T, *envconf.Config) context.Context {
	return func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
		h := harnessFrom(ctx)
		_, more, _ := h.page.phases(step)
		more = h.page.need(t, step, more, "needs a Kind node or running containers")
		h.skipWithoutNode(ctx, t, more)
		requireContainers(ctx, t)
		h.runSnips(ctx, t, more)
		return ctx
	}
}

// skipWithoutNode skips the check, with the reason, where a block of snips
// needs a Kind node and the tier has none.
func (h *harness) skipWithoutNode(ctx context.Context, t *testing.T, snips []page.Snip) {
	t.Helper()
	for _, s := range snips {
		node, _, why := s.Needs()
		if node && h.cfg.Provider != "kind" {
			reason := fmt.Sprintf("no Kind node on the %s tier: %s", h.cfg.Provider, why)
			t.Logf("%s: %s", s, reason)
			if h.cfg.Requires(settings.Containers) {
				t.Fatal(reason)
			}
			feature.Skip(ctx, t, reason)
		}
	}
}

// need fails the check when the page has no block of a kind the
// tutorial's step has: a step whose commands went missing must not pass.
func (p *pageRun) need(t *testing.T, step string, snips []page.Snip, what string) []page.Snip {
	t.Helper()
	if len(snips) == 0 {
		t.Fatalf("the page has no block in step %s that %s, as the tutorial's does: mark the step's commands with <!-- step: %s -->", step, what, step)
	}
	return snips
}

// deletedByPage runs the page's deletions that end step, and waits until
// get says the object is gone.
func (h *harness) deletedByPage(ctx context.Context, t *testing.T, step string, get func() error) {
	t.Helper()
	h.runDeletes(ctx, t, step)
	h.eventually(gomega.NewWithT(t), get).Should(gomega.Satisfy(apierrors.IsNotFound))
}

// runDeletes runs the page's deletions that end a step.
func (h *harness) runDeletes(ctx context.Context, t *testing.T, step string) {
	t.Helper()
	_, _, deletes := h.page.phases(step)
	h.runSnips(ctx, t, h.page.need(t, step, deletes, "deletes what the step made"))
}

// runSnips runs blocks in order, each held to the page, and stops the step
// at the first that fails it. A block that runs in the background starts
// here and stops when its step ends.
func (h *harness) runSnips(ctx context.Context, t *testing.T, snips []page.Snip) {
	t.Helper()
	p := h.page
	step := feature.StepName(ctx)
	for _, s := range snips {
		shell := p.shell
		if s.Step == "before" {
			// Where the reader clones; the next blocks of the page run in
			// the clone, as the page's cd says.
			shell = shell.In(p.dir)
		}
		if c, ok := kindCreate(s); ok && s.Step == "1" {
			h.checkKindLine(ctx, t, s, c)
			continue
		}
		if s.Background {
			b, err := p.shell.Start(s)
			if err != nil {
				t.Fatal(err)
			}
			p.mu.Lock()
			p.background[step] = append(p.background[step], b)
			p.mu.Unlock()
			note(ctx, t, "%s runs in the background until the step ends", s)
			continue
		}
		c := shell.Check(ctx, s, 3*h.cfg.Timeout)
		h.saveSnip(ctx, c)
		if err := c.Err(p.decides); err != nil {
			t.Fatalf("the page's block %s:\n%v", s, err)
		}
		switch {
		case len(c.Output) > 0:
			note(ctx, t, "%s: exit status as the page shows; its output differs from the page's on this run's versions (recorded): %s", s, strings.Join(c.Output, "; "))
		case len(s.Outputs) > 0:
			note(ctx, t, "%s: exit status and output as the page shows (%s)", s, matchersOf(s))
		default:
			note(ctx, t, "%s: exit status as the page shows", s)
		}
	}
}

func matchersOf(s page.Snip) string {
	var ms []string
	for _, o := range s.Outputs {
		ms = append(ms, string(o.Match))
	}
	return strings.Join(ms, ", ")
}

// saveSnip writes a block's run to the step's evidence.
func (h *harness) saveSnip(ctx context.Context, c page.Checked) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s (%d attempts, %s)\n%s\n# output\n%s", c.Snip, c.Attempts, c.Duration.Round(time.Millisecond), c.Snip.Script(), c.Result.Output)
	if c.Exit != "" {
		fmt.Fprintf(&b, "# exit differs from the page\n%s\n", c.Exit)
	}
	for _, d := range c.Output {
		fmt.Fprintf(&b, "# output differs from the page: %s\n", d)
	}
	_ = evidence.Write(feature.StepDir(ctx, h.run), fmt.Sprintf("page-%d.txt", c.Snip.Line), []byte(b.String()))
}

// stopBackground ends a step's background blocks, as the reader presses
// Ctrl-C in their terminal.
func (p *pageRun) stopBackground(step string) {
	p.mu.Lock()
	bs := p.background[step]
	delete(p.background, step)
	p.mu.Unlock()
	for _, b := range bs {
		_, _ = b.Stop()
	}
}

// checkKindLine: the kind library makes the cluster (it needs what kind's
// command does not do: this host's adaptations, a private kubeconfig,
// cleanup after kill -9), from what the page's line says. So the line
// is held to the cluster the run made: its name, its config file and its
// node image, or the one image the offline tier builds in its place.
func (h *harness) checkKindLine(ctx context.Context, t *testing.T, s page.Snip, c document.Command) {
	t.Helper()
	if h.cfg.Provider != "kind" {
		feature.Skip(ctx, t, fmt.Sprintf("no Kind cluster on the %s tier: the page's kind line makes one with Docker", h.cfg.Provider))
	}
	name := kindName(c)
	cfg, _ := c.Value("--config")
	img, _ := c.Value("--image")
	var problems []string
	if got := h.provider.Name(); got != name {
		problems = append(problems, fmt.Sprintf("the run's cluster is %s, the page's %s (E2E_CLUSTER_NAME?)", got, name))
	}
	if cfg != "kind-config.yaml" {
		problems = append(problems, fmt.Sprintf("the page's config is %q; the run uses kind-config.yaml", cfg))
	}
	want := kindNodeImageOf(h)
	switch {
	case img == want:
	case h.cfg.Offline:
		note(ctx, t, "%s: the page's node image %s is replaced by the offline tier's %s (nothing can be pulled)", s, img, want)
	case !h.page.decides:
		note(ctx, t, "%s: the page's node image %s is replaced by this cell's %s", s, img, want)
	default:
		problems = append(problems, fmt.Sprintf("the page's node image is %s, the run's %s", img, want))
	}
	if len(problems) > 0 {
		t.Fatalf("%s: the page's kind line does not describe the run's cluster: %s", s, strings.Join(problems, "; "))
	}
	note(ctx, t, "%s: cluster %s made by the kind library with the line's name, --config %s and node image", s, name, cfg)
}

// kindNodeImageOf is the node image of the run's cluster.
func kindNodeImageOf(h *harness) string {
	if p, ok := h.provider.(*kind.Cluster); ok {
		return p.NodeImage().String()
	}
	return ""
}

// pageNamespace runs step 3's first block where step 3 did not run: the
// namespace the page makes, as it makes it, for a step run alone.
func (h *harness) pageNamespace(ctx context.Context, t *testing.T) {
	plain, _, _ := h.page.phases("3")
	if len(plain) == 0 {
		t.Fatal("the page has no block in step 3")
	}
	h.runSnips(ctx, t, plain[:1])
}

// chartReleaseLabel is the chart the page's helm install installed, for the
// record.
func chartReleaseLabel(h *harness, name, version, appVersion string) string {
	label := chart.Label(h.cfg.Chart, name, version)
	return fmt.Sprintf("%s, app %s: %s", label, appVersion, chart.Describe(h.cfg.Chart, h.cfg.KubeRay))
}
