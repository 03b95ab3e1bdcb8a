package podsecurity

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/policy"
)

// server is the API server a Checker answers for: what it does to a pod
// before Pod Security sees it, and how its copy of the checks words a
// refusal. minor 0 is the newest server, the one the pod-security-admission
// library in go.mod belongs to. Feature gates are assumed at their defaults.
//
// The library evaluates older policy versions with today's code, and two
// checks have been reworded since v1.24; the real API servers of the pinned
// versions (v1.24.17, v1.34.4) were asked, see TestMessagesMatchAPIServer.
type server struct{ minor int }

func (s server) before(minor int) bool { return s.minor != 0 && s.minor < minor }

// Where the wording or the API changed.
const (
	seLinuxRewordedIn    = 26 // user and role are named even when the type is allowed
	appArmorFieldsIn     = 30 // securityContext.appArmorProfile; annotations are synced to it
	procMountAndUsersOn  = 33 // ProcMountType and UserNamespacesSupport on by default
	maxLocalhostProfile  = 4095
	appArmorAnnotationNS = corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix
)

// checks are the library's checks, with the wording of s.
func (s server) checks() []policy.Check {
	checks := policy.DefaultChecks()
	for i := range checks {
		for j := range checks[i].Versions {
			v := &checks[i].Versions[j]
			switch {
			case checks[i].ID == "appArmorProfile" && s.before(appArmorFieldsIn):
				v.CheckPod = appArmorAnnotationsOnly
			case checks[i].ID == "seLinuxOptions" && s.before(seLinuxRewordedIn):
				v.CheckPod = withoutUserAndRoleUnlessType(v.CheckPod)
			}
		}
	}
	return checks
}

// appArmorAnnotationsOnly is the AppArmor check of servers that had no
// appArmorProfile field: it lists the refused annotations, sorted, as
// key="value".
func appArmorAnnotationsOnly(meta *metav1.ObjectMeta, _ *corev1.PodSpec) policy.CheckResult {
	var bad []string
	for k, v := range meta.Annotations {
		allowed := v == "" || v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault || strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		if strings.HasPrefix(k, appArmorAnnotationNS) && !allowed {
			bad = append(bad, fmt.Sprintf("%s=%q", k, v))
		}
	}
	if len(bad) == 0 {
		return policy.CheckResult{Allowed: true}
	}
	sort.Strings(bad)
	reason := "forbidden AppArmor profile"
	if len(bad) > 1 {
		reason += "s"
	}
	return policy.CheckResult{ForbiddenReason: reason, ForbiddenDetail: strings.Join(bad, ", ")}
}

// withoutUserAndRoleUnlessType gives the SELinux check the wording of
// servers before v1.26, which named a set user or role only next to a
// forbidden type, and otherwise ended the detail after the colon.
func withoutUserAndRoleUnlessType(check policy.CheckPodFn) policy.CheckPodFn {
	return func(meta *metav1.ObjectMeta, spec *corev1.PodSpec) policy.CheckResult {
		r := check(meta, spec)
		const sep = "seLinuxOptions: "
		if i := strings.Index(r.ForbiddenDetail, sep); !r.Allowed && i >= 0 {
			rest := r.ForbiddenDetail[i+len(sep):]
			if !strings.HasPrefix(rest, "type ") && !strings.HasPrefix(rest, "types ") {
				r.ForbiddenDetail = r.ForbiddenDetail[:i+len(sep)]
			}
		}
		return r
	}
}

// prepare changes spec and meta as s does to a pod it is asked to create,
// before admission: defaulting, dropping fields it does not know or whose
// feature gate is off, and syncing deprecated AppArmor annotations.
func (s server) prepare(meta *metav1.ObjectMeta, spec *corev1.PodSpec) {
	for i := range spec.Volumes {
		if spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			spec.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
		}
	}
	if spec.HostNetwork {
		for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
			for i := range cs {
				for j := range cs[i].Ports {
					if cs[i].Ports[j].HostPort == 0 {
						cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
					}
				}
			}
		}
	}
	if s.before(procMountAndUsersOn) {
		spec.HostUsers = nil
		visitSecurityContexts(spec, func(sc *corev1.SecurityContext) { sc.ProcMount = nil })
	}
	if s.before(appArmorFieldsIn) {
		if spec.SecurityContext != nil {
			spec.SecurityContext.AppArmorProfile = nil
		}
		visitSecurityContexts(spec, func(sc *corev1.SecurityContext) { sc.AppArmorProfile = nil })
		return
	}
	syncAppArmorAnnotations(meta, spec)
}

func visitSecurityContexts(spec *corev1.PodSpec, f func(*corev1.SecurityContext)) {
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			if cs[i].SecurityContext != nil {
				f(cs[i].SecurityContext)
			}
		}
	}
	for i := range spec.EphemeralContainers {
		if sc := spec.EphemeralContainers[i].SecurityContext; sc != nil {
			f(sc)
		}
	}
}

// syncAppArmorAnnotations copies a container's deprecated AppArmor
// annotation into its securityContext.appArmorProfile when the field is
// unset, the value is valid, and it differs from the pod's profile, as API
// servers since v1.30 do.
func syncAppArmorAnnotations(meta *metav1.ObjectMeta, spec *corev1.PodSpec) {
	if spec.OS != nil && spec.OS.Name == corev1.Windows {
		return
	}
	var podProfile *corev1.AppArmorProfile
	if spec.SecurityContext != nil {
		podProfile = spec.SecurityContext.AppArmorProfile
	}
	sync := func(c *corev1.Container) {
		value, ok := meta.Annotations[appArmorAnnotationNS+c.Name]
		if !ok || (c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil) {
			return
		}
		profile := appArmorProfileOf(value)
		if profile == nil || (podProfile != nil && profile.Type == podProfile.Type && ptrEqual(profile.LocalhostProfile, podProfile.LocalhostProfile)) {
			return
		}
		if c.SecurityContext == nil {
			c.SecurityContext = &corev1.SecurityContext{}
		}
		c.SecurityContext.AppArmorProfile = profile
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			sync(&cs[i])
		}
	}
	for i := range spec.EphemeralContainers {
		sync((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}

// appArmorProfileOf is the field an annotation value stands for; nil for a
// value the API server would not copy.
func appArmorProfileOf(value string) *corev1.AppArmorProfile {
	switch {
	case value == corev1.DeprecatedAppArmorBetaProfileNameUnconfined:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case value == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	case strings.HasPrefix(value, corev1.DeprecatedAppArmorBetaProfileNamePrefix):
		name := strings.TrimPrefix(value, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		if name == "" || strings.TrimSpace(name) != name || len(name) > maxLocalhostProfile {
			return nil
		}
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &name}
	}
	return nil
}

func ptrEqual(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
