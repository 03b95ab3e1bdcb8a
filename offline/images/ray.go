package images

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The locks of the Ray images, one per Ray release:
// ray-requirements-<version>.lock.
//
//go:embed ray-requirements-*.lock
var rayLocks embed.FS

// RayLock is the pinned Python package set of release v's Ray image.
func RayLock(v versions.RayRelease) (string, error) {
	data, err := rayLocks.ReadFile(rayLockFile(v))
	if err != nil {
		return "", fmt.Errorf("Ray %s has no lock %s in offline/images (fix: resolve one with uv as the header of another lock explains)", v.Version, rayLockFile(v))
	}
	return string(data), nil
}

func rayLockFile(v versions.RayRelease) string { return "ray-requirements-" + v.Version + ".lock" }

// Ray is the recipe of the offline Ray image of one Ray release.
type Ray struct {
	Name    string // image name, the release's OfflineImage
	Suite   string // Debian suite, versions.DebianSuite
	Release versions.RayRelease
	lock    string // the release's lock
}

// RayFor is the recipe of release r's image.
func RayFor(r versions.RayRelease) (Ray, error) {
	lock, err := RayLock(r)
	if err != nil {
		return Ray{}, err
	}
	return Ray{Name: r.OfflineImage(), Suite: versions.DebianSuite, Release: r, lock: lock}, nil
}

// rayPackages are the Debian packages of the image besides minbase: Python
// with venv, and bash and wget, which KubeRay's probes run.
var rayPackages = []string{"python3", "python3-venv", "bash", "wget", "ca-certificates", "procps"}

const (
	rayUID  = 1000
	rayGID  = 100 // users, as in rayproject/ray
	rayHome = "/home/ray"
	rayVenv = rayHome + "/venv"
)

// rayPath is the image's PATH: the venv first.
const rayPath = rayVenv + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// rayScript runs in the chroot, with the wheels of the lock in /tmp/wheels:
// it installs from them alone (--no-index), so the chroot needs no network.
var rayScript = `
useradd --uid ` + fmt.Sprint(rayUID) + ` --gid ` + fmt.Sprint(rayGID) + ` --create-home --home-dir ` + rayHome + ` --shell /bin/bash ray
python3 -m venv ` + rayVenv + `
` + rayVenv + `/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels --only-binary=:all: -r /tmp/requirements.lock
` + rayVenv + `/bin/pip check
` + rayVenv + `/bin/pip freeze --all > /tmp/freeze.txt
# KubeRay starts Ray through "bash -lc", and Debian's /etc/profile resets
# PATH for login shells: put the venv back in front.
printf 'PATH=` + rayVenv + `/bin:$PATH\nexport PATH\n' > /etc/profile.d/ray-venv.sh
# pip in the pods uses the offline tier's package index, which the kind tier
# serves on the nodes' network under this name: the page's pip3 line runs
# unchanged, as it would against PyPI.
printf '[global]\nindex-url = ` + versions.OfflinePipIndexURL + `\ntrusted-host = ` + versions.OfflinePipIndexHost + `\n' > /etc/pip.conf
chown -R ` + fmt.Sprintf("%d:%d", rayUID, rayGID) + ` ` + rayHome + `
apt-get clean
rm -rf /var/lib/apt/lists/* /root/.cache /tmp/requirements.lock
# The build host's resolver and name are not the image's business.
: > /etc/resolv.conf
: > /etc/hostname
`

// Key is the cache key of the recipe: everything that changes the image.
func (r Ray) Key() string {
	return key("ray-image/1", r.Suite, strings.Join(rayPackages, ","), rayScript, r.lock, rayPath)
}

// Tarball is where the built root file system is cached.
func (r Ray) Tarball(cache string) string {
	return filepath.Join(cache, "images", fmt.Sprintf("ray-%s-%s-%s.tar", r.Release.Version, r.Suite, r.Key()))
}

// wheelDir caches the downloaded wheels; the lock decides what is in it.
func (r Ray) wheelDir(cache string) string {
	return filepath.Join(cache, "wheels", fmt.Sprintf("ray-%s-%s-%s", r.Release.Version, r.Suite, key(r.lock)))
}

// Build makes the image's root file system tarball unless the cache has
// it, and returns its path and whether it was cached. A failed or
// interrupted build leaves no temporary directory or mount behind.
func (r Ray) Build(ctx context.Context, cache string, log io.Writer, logf Logf) (tarball string, cached bool, err error) {
	tarball = r.Tarball(cache)
	if _, err := os.Stat(tarball); err == nil {
		return tarball, true, nil
	}
	if os.Geteuid() != 0 {
		return "", false, errors.New("building the Ray image's root file system needs root (debootstrap, chroot)")
	}
	if err := os.MkdirAll(filepath.Dir(tarball), 0o755); err != nil {
		return "", false, err
	}
	dir, remove, err := workDir("kuberay-e2e-ray-rootfs-")
	if err != nil {
		return "", false, err
	}
	defer func() {
		if rerr := remove(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove %s: %w", dir, rerr))
		}
	}()
	// The wheels are fetched by the host's pip (its index and certificate
	// settings are the ones that work here) while debootstrap runs.
	t := time.Now()
	wheels := r.wheelDir(cache)
	downloaded := make(chan error, 1)
	go func() { downloaded <- r.downloadWheels(ctx, log, wheels) }()
	if err := Debootstrap(ctx, log, dir, r.Suite, rayPackages); err != nil {
		<-downloaded
		return "", false, err
	}
	logf("debootstrap %s: %s", r.Suite, time.Since(t).Round(time.Second))
	if err := <-downloaded; err != nil {
		return "", false, err
	}
	logf("wheels ready: %s", time.Since(t).Round(time.Second))

	t = time.Now()
	inRoot := filepath.Join(dir, "tmp", "wheels")
	if err := linkOrCopyTree(wheels, inRoot); err != nil {
		return "", false, err
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp", "requirements.lock"), []byte(r.lock), 0o644); err != nil {
		return "", false, err
	}
	if err := Chroot(ctx, log, dir, rayScript); err != nil {
		return "", false, err
	}
	if err := os.RemoveAll(inRoot); err != nil {
		return "", false, err
	}
	freeze, _ := os.ReadFile(filepath.Join(dir, "tmp", "freeze.txt"))
	_ = os.Remove(filepath.Join(dir, "tmp", "freeze.txt"))
	logf("python packages installed: %s", time.Since(t).Round(time.Second))
	if err := checkFreeze(string(freeze), r.lock, rayLockFile(r.Release)); err != nil {
		return "", false, err
	}

	t = time.Now()
	if err := Tar(ctx, log, dir, tarball); err != nil {
		return "", false, err
	}
	_ = os.WriteFile(strings.TrimSuffix(tarball, ".tar")+".freeze.txt", freeze, 0o644)
	logf("tarball %s: %s", tarball, time.Since(t).Round(time.Second))
	return tarball, false, nil
}

// checkFreeze asserts that what pip installed is lock (the file name), package for
// package (pip, setuptools and the like, which the venv brings, aside).
func checkFreeze(freeze, lock, name string) error {
	got := map[string]string{}
	for _, l := range strings.Split(freeze, "\n") {
		if n, v, ok := strings.Cut(strings.TrimSpace(l), "=="); ok {
			got[normalize(n)] = v
		}
	}
	var bad []string
	for _, l := range strings.Split(lock, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		n, v, _ := strings.Cut(l, "==")
		if got[normalize(n)] != v {
			bad = append(bad, fmt.Sprintf("%s: locked %s, installed %q", n, v, got[normalize(n)]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the image's Python packages differ from %s: %s", name, strings.Join(bad, "; "))
	}
	return nil
}

// downloadWheels fills dir with the lock's wheels for CPython 3.11 on
// x86-64 glibc (Debian bookworm), unless it is complete already.
func (r Ray) downloadWheels(ctx context.Context, log io.Writer, dir string) error {
	args := []string{"--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"}
	for _, p := range wheelPlatforms() {
		args = append(args, "--platform", p)
	}
	_, err := pipDownload(ctx, log, pipDownloadSpec{dir: dir, lock: r.lock, what: "the Ray " + r.Release.Version + " image's wheels", args: args})
	return err
}

// pipDownloadSpec says what pipDownload fetches and where.
type pipDownloadSpec struct {
	dir  string   // the cache entry: complete when it holds .complete
	sub  string   // where in it the wheels go ("" for dir itself)
	lock string   // a requirements file: every package pinned
	what string   // for messages, e.g. "the Ray image's wheels"
	args []string // pip download arguments besides the common ones
	// finish runs on the downloaded tree before it is put in place.
	finish func(partial string) error
}

// pipDownload fills spec.dir with the wheels of spec.lock (no dependencies
// beyond the lock, binary wheels only) unless it is complete already, and
// says whether it was. The host's pip does it, with the host's own
// environment: its settings (index, certificates) are what reaches the
// package index from here. A failed or interrupted download leaves only a
// .partial directory, which the next call replaces.
func pipDownload(ctx context.Context, log io.Writer, spec pipDownloadSpec) (cached bool, err error) {
	if fileExists(filepath.Join(spec.dir, ".complete")) {
		return true, nil
	}
	if err := exec.Command("python3", "-m", "pip", "--version").Run(); err != nil {
		return false, fmt.Errorf("python3 -m pip does not run (%v): %s are downloaded with the host's pip (fix: apt-get install python3-pip)", err, spec.what)
	}
	partial := spec.dir + ".partial"
	_ = os.RemoveAll(partial)
	defer os.RemoveAll(partial)
	wheels := filepath.Join(partial, spec.sub)
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		return false, err
	}
	lock := filepath.Join(partial, "requirements.lock")
	if err := os.WriteFile(lock, []byte(spec.lock), 0o644); err != nil {
		return false, err
	}
	args := append([]string{"-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", wheels, "-r", lock}, spec.args...)
	cmd := exec.CommandContext(ctx, "python3", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return false, fmt.Errorf("pip download of %s failed (%v); see the build log (fix: check that pip on this host reaches the package index)", spec.what, err)
	}
	if err := os.Remove(lock); err != nil {
		return false, err
	}
	if spec.finish != nil {
		if err := spec.finish(partial); err != nil {
			return false, err
		}
	}
	if err := os.WriteFile(filepath.Join(partial, ".complete"), nil, 0o644); err != nil {
		return false, err
	}
	_ = os.RemoveAll(spec.dir)
	return false, os.Rename(partial, spec.dir)
}

// wheelPlatforms are the platform tags a wheel may carry to install on
// Debian bookworm (glibc 2.36) on x86-64.
func wheelPlatforms() []string {
	var ps []string
	for v := 36; v >= 5; v-- {
		ps = append(ps, fmt.Sprintf("manylinux_2_%d_x86_64", v))
	}
	return append(ps, "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64")
}

func normalize(name string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// ImportArgs are the docker import arguments that turn the tarball into
// the image: uid 1000, HOME, PATH with the venv, bash as the command.
func (r Ray) ImportArgs(tarball string) []string {
	return importArgs(tarball, r.Name, r.Key(),
		fmt.Sprintf("USER %d", rayUID),
		"WORKDIR "+rayHome,
		"ENV HOME="+rayHome,
		"ENV PATH="+rayPath,
		"ENV LANG=C.UTF-8",
		`CMD ["/bin/bash"]`,
	)
}

// RecipeLabel carries an image's recipe key, so a load can tell whether the
// daemon already has this very build.
const RecipeLabel = "io.kuberay-e2e.recipe"

// Load imports the tarball into the daemon env's DOCKER_HOST names, unless
// the daemon already has the image with this recipe. It returns whether
// the import was skipped.
func Load(ctx context.Context, env []string, name, recipe string, importArgs []string) (bool, error) {
	out, err := docker(ctx, env, "image", "inspect", "--format", `{{index .Config.Labels "`+RecipeLabel+`"}}`, name)
	if err == nil && strings.TrimSpace(out) == recipe {
		return true, nil
	}
	if out, err := docker(ctx, env, importArgs...); err != nil {
		return false, fmt.Errorf("docker import %s: %v\n%s", name, err, out)
	}
	return false, nil
}

func docker(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
