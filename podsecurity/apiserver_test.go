package podsecurity_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kuberay-docs/pod-security-e2e/cluster/local"
	"github.com/kuberay-docs/pod-security-e2e/fixtures"
	"github.com/kuberay-docs/pod-security-e2e/internal/testlog"
	"github.com/kuberay-docs/pod-security-e2e/manifest"
	"github.com/kuberay-docs/pod-security-e2e/podsecurity"
	"github.com/kuberay-docs/pod-security-e2e/upstream"
	"github.com/kuberay-docs/pod-security-e2e/versions"
	"github.com/kuberay-docs/pod-security-e2e/workload"
)

// APIServerVersionsEnv lists the Kubernetes versions whose real API server
// TestMessagesMatchAPIServer asks, e.g. "1.24,1.34". Unset, the test is
// skipped: it starts the local tier's control plane once per version.
const APIServerVersionsEnv = "PODSECURITY_APISERVER_VERSIONS"

// TestMessagesMatchAPIServer sends every pod derived from the fixture and
// KubeRay's samples to a real kube-apiserver as a server-side dry-run create
// in a namespace enforcing restricted:latest, and compares the refusal (or
// admission) with the static verdict, word for word.
func TestMessagesMatchAPIServer(t *testing.T) {
	list := os.Getenv(APIServerVersionsEnv)
	if list == "" || testing.Short() {
		t.Skipf("set %s=1.24,1.34 to compare with real API servers (starts the local tier's control plane for each)", APIServerVersionsEnv)
	}
	for _, v := range strings.Split(list, ",") {
		k, err := versions.LookupKubernetes(v)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(k.Version, func(t *testing.T) { compareWithAPIServer(t, k.Version) })
	}
}

type derived struct {
	source string
	doc    int
	kind   string
	pod    workload.Pod
}

// derivedPods are the pods of the fixture and of every sample of each pinned
// KubeRay release, as that release builds them, then the corner cases.
func derivedPods(t *testing.T) []derived {
	t.Helper()
	var out []derived
	for _, r := range versions.KubeRayReleases {
		out = append(out, releasePods(t, r)...)
	}
	return append(out, cornerPods()...)
}

func releasePods(t *testing.T, r versions.KubeRayRelease) []derived {
	dir, err := upstream.Dir(r)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{fixtures.PodSecurityClusterFile: fixtures.PodSecurityClusterYAML()}
	var order []string
	order = append(order, fixtures.PodSecurityClusterFile)
	err = filepath.WalkDir(filepath.Join(dir, "config", "samples"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		inputs[filepath.Base(p)] = data
		order = append(order, filepath.Base(p))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []derived
	for _, name := range order {
		docs, err := manifest.Documents(inputs[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, d := range docs {
			if d.Object == nil {
				continue
			}
			pods, err := workload.Pods(d.Object, workload.Operator{KubeRay: r})
			if err != nil {
				continue
			}
			for _, p := range pods {
				out = append(out, derived{"KubeRay " + r.Version + " " + name, d.Index, d.Object.GetKind() + "/" + d.Object.GetName(), p})
			}
		}
	}
	return out
}

// cornerPods each break one rule of the baseline or restricted standard, or
// several at once, to compare the wording of every check, not only the four
// that KubeRay's samples fail.
func cornerPods() []derived {
	hardened := func() (metav1.ObjectMeta, corev1.PodSpec) {
		return metav1.ObjectMeta{}, corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "app", Image: "app:1", SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			}}},
		}
	}
	sc := func(s *corev1.PodSpec) *corev1.SecurityContext { return s.Containers[0].SecurityContext }
	changes := map[string]func(*metav1.ObjectMeta, *corev1.PodSpec){
		"hardened": func(*metav1.ObjectMeta, *corev1.PodSpec) {},
		"capability add": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).Capabilities.Add = []corev1.Capability{"NET_ADMIN", "SYS_TIME"}
		},
		"runAsNonRoot false": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).RunAsNonRoot = ptr.To(false) },
		"runAsUser 0": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext.RunAsUser = ptr.To[int64](0)
			sc(s).RunAsUser = ptr.To[int64](0)
		},
		"seccomp unconfined": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		},
		"host everything": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.HostNetwork, s.HostPID, s.HostIPC = true, true, true
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 6379}, {ContainerPort: 8265, HostPort: 8265}}
			s.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}, {Name: "blank"}}
			// No privileged container: the local tier's kube-apiserver runs
			// without --allow-privileged, so validation would refuse it first.
		},
		"nfs volume": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{{Name: "n", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs.example", Path: "/"}}}}
			s.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "n", MountPath: "/n"}}
		},
		"sysctls": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel.msgmax", Value: "65536"}, {Name: "net.ipv4.ip_local_port_range", Value: "1024 65000"}}
		},
		"selinux type": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t"}
		},
		"selinux user and role": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).SELinuxOptions = &corev1.SELinuxOptions{User: "system_u", Role: "system_r"}
		},
		"apparmor annotation": func(m *metav1.ObjectMeta, _ *corev1.PodSpec) {
			m.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}
		},
		"apparmor field": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		},
		"apparmor annotation runtime default": func(m *metav1.ObjectMeta, _ *corev1.PodSpec) {
			m.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}
		},
		"procMount unmasked": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.HostUsers = ptr.To(false)
			sc(s).ProcMount = ptr.To(corev1.UnmaskedProcMount)
		},
		"init and sidecar bare": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.InitContainers = []corev1.Container{{Name: "init", Image: "i"}}
			s.Containers = append(s.Containers, corev1.Container{Name: "side", Image: "s"})
		},
		"probe host": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1", Port: intstr.FromInt32(80)}}}
		},
	}
	var out []derived
	for name, change := range changes {
		m, s := hardened()
		change(&m, &s)
		out = append(out, derived{"corner case", 0, name, workload.Pod{Role: "pod", Meta: m, Spec: s}})
	}
	return out
}

func compareWithAPIServer(t *testing.T, version string) {
	// A cold cache builds the control plane first, which takes several
	// minutes on 2 cores: the bound is go test's -timeout, not a guess.
	ctx, cancel := context.WithCancel(context.Background())
	if d, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.Background(), d.Add(-30*time.Second))
	}
	defer cancel()
	c, err := local.New(local.WithProgress(testlog.Writer{T: t}), local.WithVersion(version))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Destroy(context.Background()) }()
	if err := c.WaitForControlPlane(ctx, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(c.KubernetesRestConfig())
	if err != nil {
		t.Fatal(err)
	}
	const ns = "static-check"
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce":         podsecurity.DefaultLevel,
		"pod-security.kubernetes.io/enforce-version": podsecurity.DefaultVersion,
	}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The ServiceAccount admission plugin, which runs before Pod Security,
	// refuses pods until the namespace's default ServiceAccount exists.
	for {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("namespace %s never got its default ServiceAccount: is the controller manager running?", ns)
		case <-time.After(200 * time.Millisecond):
		}
	}

	checker, err := podsecurity.New(podsecurity.Options{Kubernetes: version})
	if err != nil {
		t.Fatal(err)
	}
	var same, admittedBoth int
	for i, d := range derivedPods(t) {
		name := fmt.Sprintf("check-%d", i)
		pod := &corev1.Pod{ObjectMeta: *d.pod.Meta.DeepCopy(), Spec: *d.pod.Spec.DeepCopy()}
		pod.Name, pod.GenerateName, pod.Namespace = name, "", ns
		// Pod Security reads neither; the ServiceAccount plugin would refuse
		// a pod whose account does not exist here.
		pod.Spec.ServiceAccountName, pod.Spec.DeprecatedServiceAccount = "", ""
		for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
			for i := range cs {
				if cs[i].Image == "" { // a RayJob with clusterSelector: the image is the selected cluster's
					cs[i].Image = versions.RayImage
				}
			}
		}
		static := checker.Evaluate(d.pod.Meta, d.pod.Spec)
		at := fmt.Sprintf("%s:%d %s %s", d.source, d.doc, d.kind, d.pod.Role)
		_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		switch {
		case err == nil && static.Allowed:
			admittedBoth++
		case err == nil:
			t.Errorf("%s: the API server admits the pod, the static check refuses it: %s", at, static.Message)
		case !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "violates PodSecurity"):
			t.Errorf("%s: the API server refused the pod for another reason than Pod Security, so nothing can be compared: %v", at, err)
		case static.Allowed:
			t.Errorf("%s: the static check allows the pod, the API server refuses it: %v", at, err)
		case err.Error() != static.Forbidden(name):
			t.Errorf("%s: the messages differ:\nAPI server: %v\nstatic:     %s", at, err, static.Forbidden(name))
		default:
			same++
		}
	}
	t.Logf("Kubernetes %s: %d refusals identical word for word, %d pods admitted by both", version, same, admittedBoth)
	if same == 0 || admittedBoth == 0 {
		t.Errorf("want both refusals and admissions compared, got %d and %d", same, admittedBoth)
	}
}
