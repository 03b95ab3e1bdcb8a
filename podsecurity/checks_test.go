package podsecurity

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// hardenedPod carries exactly what the restricted standard asks of a pod
// with one container; each case below breaks one thing.
func hardenedPod() (metav1.ObjectMeta, corev1.PodSpec) {
	return metav1.ObjectMeta{Name: "p"}, corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:  "app",
			Image: "app:1",
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}
}

func mustChecker(t testing.TB, o Options) *Checker {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHardenedPodIsAllowed(t *testing.T) {
	meta, spec := hardenedPod()
	if r := mustChecker(t, Options{}).Evaluate(meta, spec); !r.Allowed || r.Message != "" || len(r.Violations) != 0 {
		t.Fatalf("the hardened pod is refused: %+v", r)
	}
}

// One case per check of the restricted standard, and the baseline checks
// that restricted includes, each breaking exactly one rule.
func TestEachRestrictedCheck(t *testing.T) {
	sc := func(s *corev1.PodSpec) *corev1.SecurityContext { return s.Containers[0].SecurityContext }
	cases := []struct {
		name   string
		change func(m *metav1.ObjectMeta, s *corev1.PodSpec)
		want   []Violation // nil: allowed
	}{
		{"allowPrivilegeEscalation unset", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).AllowPrivilegeEscalation = nil },
			[]Violation{{"allowPrivilegeEscalation != false", `container "app" must set securityContext.allowPrivilegeEscalation=false`}}},
		{"allowPrivilegeEscalation true", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).AllowPrivilegeEscalation = ptr.To(true) },
			[]Violation{{"allowPrivilegeEscalation != false", `container "app" must set securityContext.allowPrivilegeEscalation=false`}}},
		{"capabilities not dropped", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).Capabilities = nil },
			[]Violation{{"unrestricted capabilities", `container "app" must set securityContext.capabilities.drop=["ALL"]`}}},
		{"capability added", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		},
			[]Violation{{"unrestricted capabilities", `container "app" must not include "NET_ADMIN" in securityContext.capabilities.add`}}},
		{"NET_BIND_SERVICE may be added", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).Capabilities.Add = []corev1.Capability{"NET_BIND_SERVICE"}
		}, nil},
		{"runAsNonRoot unset", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { s.SecurityContext.RunAsNonRoot = nil },
			[]Violation{{"runAsNonRoot != true", `pod or container "app" must set securityContext.runAsNonRoot=true`}}},
		{"runAsNonRoot false in the container", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).RunAsNonRoot = ptr.To(false) },
			[]Violation{{"runAsNonRoot != true", `container "app" must not set securityContext.runAsNonRoot=false`}}},
		{"runAsNonRoot on the container only", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext.RunAsNonRoot = nil
			sc(s).RunAsNonRoot = ptr.To(true)
		}, nil},
		{"runAsUser 0", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).RunAsUser = ptr.To[int64](0) },
			[]Violation{{"runAsUser=0", `container "app" must not set runAsUser=0`}}},
		{"runAsUser 0 on the pod", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { s.SecurityContext.RunAsUser = ptr.To[int64](0) },
			[]Violation{{"runAsUser=0", `pod must not set runAsUser=0`}}},
		{"seccompProfile unset", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { s.SecurityContext.SeccompProfile = nil },
			[]Violation{{"seccompProfile", `pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`}}},
		{"seccompProfile Unconfined", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, []Violation{{"seccompProfile", `container "app" must not set securityContext.seccompProfile.type to "Unconfined"`}}},
		{"seccompProfile Localhost", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("p.json")}
		}, nil},
		{"nfs volume", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{{Name: "n", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "s", Path: "/"}}}}
		}, []Violation{{"restricted volume types", `volume "n" uses restricted volume type "nfs"`}}},
		{"hostPath volume", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
			// The restricted volume check replaces baseline's hostPath check.
		}, []Violation{{"restricted volume types", `volume "h" uses restricted volume type "hostPath"`}}},
		{"volume without a source becomes an emptyDir", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{{Name: "e"}}
		}, nil},
		{"configMap, secret, projected, PVC, ephemeral volumes", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{
				{Name: "c", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}},
				{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}},
				{Name: "v", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "x"}}},
				{Name: "d", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{}}},
				{Name: "t", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
			}
		}, nil},
		{"privileged", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).Privileged = ptr.To(true) },
			[]Violation{{"privileged", `container "app" must not set securityContext.privileged=true`}}},
		{"hostPID and hostIPC", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { s.HostPID, s.HostIPC = true, true },
			[]Violation{{"host namespaces", "hostPID=true, hostIPC=true"}}},
		{"hostPort", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
		}, []Violation{{"hostPort", `container "app" uses hostPort 8080`}}},
		{"procMount Unmasked", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { sc(s).ProcMount = ptr.To(corev1.UnmaskedProcMount) },
			[]Violation{{"procMount", `container "app" must not set securityContext.procMount to "Unmasked"`}}},
		{"unsafe sysctl", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel.msgmax", Value: "1"}}
		}, []Violation{{"forbidden sysctls", "kernel.msgmax"}}},
		{"SELinux type", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t"}
		}, []Violation{{"seLinuxOptions", `container "app" set forbidden securityContext.seLinuxOptions: type "spc_t"`}}},
		{"AppArmor unconfined", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		}, []Violation{{"forbidden AppArmor profile", `container "app" must not set AppArmor profile type to "Unconfined"`}}},
		{"probe host", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1"}}}
		}, []Violation{{"probe or lifecycle host", `container "app" uses probe or lifecycle host "10.0.0.1"`}}},
		{"Windows HostProcess", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			sc(s).WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: ptr.To(true)}
		}, []Violation{{"hostProcess", `container "app" must not set securityContext.windowsOptions.hostProcess=true`}}},
	}
	c := mustChecker(t, Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			meta, spec := hardenedPod()
			tc.change(&meta, &spec)
			r := c.Evaluate(meta, spec)
			if !reflect.DeepEqual(r.Violations, tc.want) {
				t.Fatalf("violations\n got %q\nwant %q", r.Violations, tc.want)
			}
			if r.Allowed != (tc.want == nil) {
				t.Errorf("allowed = %v with violations %q", r.Allowed, r.Violations)
			}
		})
	}
}

// The API server lists the baseline checks first and then the restricted
// ones, each group by check ID, and joins them with ", "; details follow
// their reason in parentheses.
func TestMessageOrderAndFormat(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "bare"}
	spec := corev1.PodSpec{
		HostNetwork: true,
		Containers: []corev1.Container{
			{Name: "a", Image: "a", Ports: []corev1.ContainerPort{{ContainerPort: 6379}}},
			{Name: "b", Image: "b"},
		},
		Volumes: []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
	}
	r := mustChecker(t, Options{}).Evaluate(meta, spec)
	want := `violates PodSecurity "restricted:latest": ` +
		`host namespaces (hostNetwork=true), ` +
		// In the host network the API server defaults hostPort to containerPort.
		`hostPort (container "a" uses hostPort 6379), ` +
		`allowPrivilegeEscalation != false (containers "a", "b" must set securityContext.allowPrivilegeEscalation=false), ` +
		`unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]), ` +
		`restricted volume types (volume "root" uses restricted volume type "hostPath"), ` +
		`runAsNonRoot != true (pod or containers "a", "b" must set securityContext.runAsNonRoot=true), ` +
		`seccompProfile (pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
	if r.Message != want {
		t.Fatalf("message\n got %s\nwant %s", r.Message, want)
	}
	if got := r.Forbidden("bare"); got != `pods "bare" is forbidden: `+want {
		t.Errorf("Forbidden: %s", got)
	}
	if spec.Containers[0].Ports[0].HostPort != 0 {
		t.Error("Evaluate changed the caller's pod spec")
	}
	// Init containers come before containers, as the admission plugin visits them.
	meta, spec = hardenedPod()
	spec.InitContainers = []corev1.Container{{Name: "init", Image: "i"}}
	spec.Containers = append(spec.Containers, corev1.Container{Name: "side", Image: "s"})
	r = mustChecker(t, Options{}).Evaluate(meta, spec)
	if r.Violations[0].Detail != `containers "init", "side" must set securityContext.allowPrivilegeEscalation=false` {
		t.Errorf("container order: %s", r.Violations[0].Detail)
	}
}

func TestLevelsAndVersions(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "bare"}
	bare := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "c"}}}
	if r := mustChecker(t, Options{Level: "baseline"}).Evaluate(meta, bare); !r.Allowed {
		t.Errorf("baseline allows a bare pod, got %s", r.Message)
	}
	priv := *bare.DeepCopy()
	priv.HostPID = true
	priv.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	if r := mustChecker(t, Options{Level: "baseline", Version: "v1.24"}).Evaluate(meta, priv); r.Allowed ||
		r.Message != `violates PodSecurity "baseline:v1.24": host namespaces (hostPID=true), privileged (container "c" must not set securityContext.privileged=true)` {
		t.Errorf("baseline:v1.24 on a privileged pod: %+v", r)
	}
	if r := mustChecker(t, Options{Level: "privileged"}).Evaluate(meta, priv); !r.Allowed {
		t.Errorf("privileged allows everything, got %s", r.Message)
	}

	// A probe's host is refused from v1.34 on: older servers, and newer ones
	// pinned to an older policy version, let it through.
	m, probe := hardenedPod()
	probe.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Host: "example.com"}}}
	for _, tc := range []struct {
		o     Options
		allow bool
	}{
		{Options{}, false},
		{Options{Kubernetes: "1.34"}, false},
		{Options{Kubernetes: "v1.34.4"}, false},
		{Options{Kubernetes: "1.24"}, true},
		{Options{Kubernetes: "v1.24.17"}, true},
		{Options{Version: "v1.33"}, true},
	} {
		if r := mustChecker(t, tc.o).Evaluate(m, probe); r.Allowed != tc.allow {
			t.Errorf("%+v: probe host allowed=%v, want %v (%s)", tc.o, r.Allowed, tc.allow, r.Message)
		}
	}

	// From v1.35 a pod in a user namespace may run as root.
	m, userns := hardenedPod()
	userns.HostUsers = ptr.To(false)
	userns.SecurityContext.RunAsNonRoot = ptr.To(false)
	userns.SecurityContext.RunAsUser = ptr.To[int64](0)
	if r := mustChecker(t, Options{}).Evaluate(m, userns); !r.Allowed {
		t.Errorf("latest checks with hostUsers=false: %s", r.Message)
	}
	if r := mustChecker(t, Options{Kubernetes: "1.34"}).Evaluate(m, userns); r.Allowed ||
		r.Message != `violates PodSecurity "restricted:latest": runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0)` {
		t.Errorf("v1.34 with hostUsers=false: %+v", r)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Level: "strict"}, `Pod Security level "strict": must be one of privileged, baseline, restricted`},
		{Options{Version: "1.24"}, `Pod Security version "1.24": must be "latest" or "v1.x", as in the enforce-version namespace label`},
		{Options{Kubernetes: "latest"}, `Kubernetes version "latest": want the API server's version, such as 1.24 or v1.34.4`},
	} {
		if _, err := New(tc.o); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
	}
	c := mustChecker(t, Options{Level: "baseline", Version: "v1.30"})
	if c.Policy() != "baseline:v1.30" {
		t.Errorf("Policy() = %s", c.Policy())
	}
}

// What older API servers do differently, as asked of v1.24.17 and v1.34.4
// themselves (TestMessagesMatchAPIServer).
func TestServerVersionDifferences(t *testing.T) {
	newest, v124, v134 := mustChecker(t, Options{}), mustChecker(t, Options{Kubernetes: "1.24"}), mustChecker(t, Options{Kubernetes: "1.34"})
	const prefix = `violates PodSecurity "restricted:latest": `
	cases := []struct {
		name   string
		change func(m *metav1.ObjectMeta, s *corev1.PodSpec)
		want   map[*Checker]string // "" means allowed
	}{
		{"AppArmor annotation", func(m *metav1.ObjectMeta, _ *corev1.PodSpec) {
			m.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}
		}, map[*Checker]string{
			// Before v1.30 only the annotation existed, and was quoted as key="value".
			v124: prefix + `forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/app="unconfined")`,
			// Since v1.30 the API server copies it into the container's field first.
			v134:   prefix + `forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")`,
			newest: prefix + `forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")`,
		}},
		{"AppArmor annotation for another container", func(m *metav1.ObjectMeta, _ *corev1.PodSpec) {
			m.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/gone": "unconfined"}
		}, map[*Checker]string{
			v124:   prefix + `forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/gone="unconfined")`,
			newest: prefix + `forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/gone="unconfined"")`,
		}},
		{"AppArmor field", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		}, map[*Checker]string{
			v124:   "", // a v1.24 server drops the field it does not know
			newest: prefix + `forbidden AppArmor profile (container "app" must not set AppArmor profile type to "Unconfined")`,
		}},
		{"SELinux user without a type", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{User: "system_u"}
		}, map[*Checker]string{
			// Before v1.26 the user was only named next to a forbidden type.
			v124:   prefix + `seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: )`,
			v134:   prefix + `seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: user may not be set)`,
			newest: prefix + `seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: user may not be set)`,
		}},
		{"SELinux type and role", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t", Role: "r"}
		}, map[*Checker]string{
			v124:   prefix + `seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "spc_t"; role may not be set)`,
			newest: prefix + `seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "spc_t"; role may not be set)`,
		}},
		{"procMount Unmasked", func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.ProcMount = ptr.To(corev1.UnmaskedProcMount)
		}, map[*Checker]string{
			v124:   "", // ProcMountType is off by default before v1.33, and the field is dropped
			v134:   prefix + `procMount (container "app" must not set securityContext.procMount to "Unmasked")`,
			newest: prefix + `procMount (container "app" must not set securityContext.procMount to "Unmasked")`,
		}},
	}
	for _, tc := range cases {
		for c, want := range tc.want {
			meta, spec := hardenedPod()
			tc.change(&meta, &spec)
			r := c.Evaluate(meta, spec)
			if r.Message != want || r.Allowed != (want == "") {
				t.Errorf("%s on %+v:\n got %q\nwant %q", tc.name, c.server, r.Message, want)
			}
		}
	}
}
