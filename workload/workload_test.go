package workload

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kuberay-docs/pod-security-e2e/manifest"
	"github.com/kuberay-docs/pod-security-e2e/versions"
)

func mustDecode(t *testing.T, y string) []Pod {
	t.Helper()
	objs, err := manifest.Decode("test.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("want one object, got %d", len(objs))
	}
	pods, err := Pods(objs[0], Operator{})
	if err != nil {
		t.Fatal(err)
	}
	return pods
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func roles(pods []Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Role)
	}
	return out
}

const cluster = `apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: demo
spec:
  headGroupSpec:
    rayStartParams: {}
    template:
      spec:
        containers:
        - name: head
          image: rayproject/ray:2.46.0
          securityContext:
            runAsUser: 1000
          volumeMounts:
          - {name: logs, mountPath: /tmp/ray}
        volumes:
        - name: logs
          emptyDir: {}
  workerGroupSpecs:
  - groupName: cpu
    rayStartParams: {}
    template:
      spec:
        initContainers:
        - name: user-init
          image: busybox
        containers:
        - name: worker
          image: rayproject/ray:2.46.0
          imagePullPolicy: Always
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
          - {name: data, mountPath: /data}
        volumes:
        - name: data
          emptyDir: {}
  - groupName: gpu
    rayStartParams: {}
    template:
      spec:
        containers:
        - name: gpu-worker
          image: rayproject/ray:2.46.0-gpu
`

func TestRayClusterHeadAndWorkers(t *testing.T) {
	pods := mustDecode(t, cluster)
	if got, want := roles(pods), []string{"head", "worker group cpu", "worker group gpu"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("roles %v, want %v", got, want)
	}
	head := pods[0]
	if head.Name != "demo-head-*" {
		t.Errorf("head pod name %q, want the operator's generateName demo-head- plus random characters", head.Name)
	}
	if got := names(head.Spec.Containers); !reflect.DeepEqual(got, []string{"head"}) {
		t.Errorf("head containers %v: without autoscaling the operator adds none", got)
	}
	if len(head.Spec.InitContainers) != 0 {
		t.Errorf("the head gets no wait-gcs-ready init container, got %v", names(head.Spec.InitContainers))
	}
	// /dev/shm is the object store's emptyDir, in memory.
	var shm *corev1.Volume
	for i, v := range head.Spec.Volumes {
		if v.Name == "shared-mem" {
			shm = &head.Spec.Volumes[i]
		}
	}
	if shm == nil || shm.EmptyDir == nil || shm.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("head volumes %+v: want the operator's shared-mem emptyDir in memory", head.Spec.Volumes)
	}
	if ports := head.Spec.Containers[0].Ports; len(ports) != 1 || ports[0].Name != "metrics" || ports[0].ContainerPort != 8080 || ports[0].HostPort != 0 {
		t.Errorf("head ports %+v: want the operator's metrics port 8080 and no host port", ports)
	}

	cpu := pods[1]
	if cpu.Name != "demo-cpu-worker-*" {
		t.Errorf("worker pod name %q", cpu.Name)
	}
	if got := names(cpu.Spec.InitContainers); !reflect.DeepEqual(got, []string{"user-init", "wait-gcs-ready"}) {
		t.Fatalf("worker init containers %v: the operator appends wait-gcs-ready after the user's", got)
	}
	wait := cpu.Spec.InitContainers[1]
	ray := cpu.Spec.Containers[0]
	if !reflect.DeepEqual(wait.SecurityContext, ray.SecurityContext) || wait.SecurityContext == ray.SecurityContext {
		t.Errorf("wait-gcs-ready securityContext %+v: want a copy of the Ray container's %+v", wait.SecurityContext, ray.SecurityContext)
	}
	if wait.Image != ray.Image || wait.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("wait-gcs-ready runs %s (%s), want the Ray container's image and pull policy", wait.Image, wait.ImagePullPolicy)
	}
	if len(wait.VolumeMounts) != 1 || wait.VolumeMounts[0].MountPath != "/data" {
		t.Errorf("wait-gcs-ready mounts %+v: want the Ray container's mounts as written, without /dev/shm", wait.VolumeMounts)
	}
	if len(cpu.Added) != 1 || cpu.Added[0].Container != "wait-gcs-ready" || !strings.Contains(cpu.Added[0].Why, `container "worker" (spec.workerGroupSpecs[0].template.spec.containers[0])`) || cpu.Added[0].Unfixable {
		t.Errorf("worker Added %+v: want wait-gcs-ready, pointing at the Ray container it copies", cpu.Added)
	}
	if gpu := pods[2]; gpu.Spec.InitContainers[0].SecurityContext != nil {
		t.Errorf("a Ray container without securityContext gives wait-gcs-ready none, got %+v", gpu.Spec.InitContainers[0].SecurityContext)
	}
}

func TestRayClusterManifestIsNotModified(t *testing.T) {
	objs, err := manifest.Decode("test.yaml", []byte(cluster))
	if err != nil {
		t.Fatal(err)
	}
	before := objs[0].DeepCopy()
	if _, err := Pods(objs[0], Operator{}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before.Object, objs[0].Object) {
		t.Error("Pods changed the object it was given")
	}
}

func TestInitContainerInjectionCanBeOff(t *testing.T) {
	objs, _ := manifest.Decode("test.yaml", []byte(cluster))
	pods, err := Pods(objs[0], Operator{NoInitContainerInjection: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(pods[1].Spec.InitContainers); !reflect.DeepEqual(got, []string{"user-init"}) || len(pods[1].Added) != 0 {
		t.Errorf("with ENABLE_INIT_CONTAINER_INJECTION=false: init containers %v, added %v", got, pods[1].Added)
	}
}

func TestAutoscalerSidecar(t *testing.T) {
	y := strings.Replace(cluster, "spec:\n  headGroupSpec:", `spec:
  enableInTreeAutoscaling: true
  autoscalerOptions:
    image: my/autoscaler:1
    version: v2
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
  headGroupSpec:`, 1)
	pods := mustDecode(t, y)
	head := pods[0]
	if got := names(head.Spec.Containers); !reflect.DeepEqual(got, []string{"head", "autoscaler"}) {
		t.Fatalf("head containers %v: want the autoscaler appended", got)
	}
	as := head.Spec.Containers[1]
	if as.Image != "my/autoscaler:1" || as.SecurityContext == nil || *as.SecurityContext.AllowPrivilegeEscalation || !*as.SecurityContext.RunAsNonRoot {
		t.Errorf("autoscaler %+v: want autoscalerOptions' image and securityContext", as)
	}
	// Ray's logs are shared with the autoscaler, but /tmp/ray of the head is
	// already mounted, so only the autoscaler gets a new mount, of the
	// operator's ray-logs emptyDir.
	if m := as.VolumeMounts; len(m) != 1 || m[0].Name != "ray-logs" || m[0].MountPath != "/tmp/ray" {
		t.Errorf("autoscaler mounts %+v", m)
	}
	if m := head.Spec.Containers[0].VolumeMounts; len(m) != 2 || m[0].Name != "logs" || m[1].Name != "shared-mem" {
		t.Errorf("head mounts %+v: /tmp/ray keeps the user's volume, /dev/shm is added", m)
	}
	if head.Spec.RestartPolicy != corev1.RestartPolicyNever || pods[1].Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("autoscaler v2 makes the operator set restartPolicy Never on head and workers")
	}
	if len(head.Added) != 1 || !strings.Contains(head.Added[0].Why, "spec.autoscalerOptions.securityContext") {
		t.Errorf("head Added %+v", head.Added)
	}

	// Without autoscalerOptions the autoscaler runs the head's image with no securityContext.
	y = strings.Replace(cluster, "spec:\n  headGroupSpec:", "spec:\n  enableInTreeAutoscaling: true\n  headGroupSpec:", 1)
	as = mustDecode(t, y)[0].Spec.Containers[1]
	if as.Image != "rayproject/ray:2.46.0" || as.SecurityContext != nil || as.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("default autoscaler %+v", as)
	}
}

func TestRedisCleanupJobWithFaultTolerance(t *testing.T) {
	for name, y := range map[string]string{
		"annotation": strings.Replace(cluster, "  name: demo\n", "  name: demo\n  annotations:\n    ray.io/ft-enabled: \"true\"\n", 1),
		"options":    strings.Replace(cluster, "spec:\n  headGroupSpec:", "spec:\n  enableInTreeAutoscaling: true\n  gcsFaultToleranceOptions:\n    redisAddress: redis:6379\n  headGroupSpec:", 1),
	} {
		pods := mustDecode(t, y)
		last := pods[len(pods)-1]
		if last.Role != "redis cleanup" || last.Name != "demo-redis-cleanup-*" {
			t.Fatalf("%s: roles %v, want a redis cleanup pod last", name, roles(pods))
		}
		if got := names(last.Spec.Containers); !reflect.DeepEqual(got, []string{"head"}) || last.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: cleanup containers %v restartPolicy %s: want only the Ray container, Never", name, got, last.Spec.RestartPolicy)
		}
	}
	objs, _ := manifest.Decode("t", []byte(strings.Replace(cluster, "  name: demo\n", "  name: demo\n  annotations:\n    ray.io/ft-enabled: \"true\"\n", 1)))
	pods, _ := Pods(objs[0], Operator{NoRedisCleanup: true})
	if got := roles(pods); len(got) != 3 {
		t.Errorf("with ENABLE_GCS_FT_REDIS_CLEANUP=false: roles %v", got)
	}
	if got := roles(mustDecode(t, cluster)); len(got) != 3 {
		t.Errorf("without fault tolerance: roles %v, want no cleanup pod", got)
	}
}

func rayJob(extra string) string {
	spec := strings.SplitN(cluster, "spec:\n", 2)[1]
	return "apiVersion: ray.io/v1\nkind: RayJob\nmetadata:\n  name: job\nspec:\n  entrypoint: python x.py\n" + extra +
		"  rayClusterSpec:\n" + indent(spec, "    ")
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + strings.TrimPrefix(lines[i], "  ")
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestRayJobSubmitterModes(t *testing.T) {
	pods := mustDecode(t, rayJob(""))
	if got := roles(pods); !reflect.DeepEqual(got, []string{"head", "worker group cpu", "worker group gpu", "submitter"}) {
		t.Fatalf("K8sJobMode by default: roles %v", got)
	}
	sub := pods[3]
	if sub.Name != "job-*" || len(sub.Spec.Containers) != 1 || sub.Spec.Containers[0].Name != "ray-job-submitter" ||
		sub.Spec.Containers[0].Image != "rayproject/ray:2.46.0" || sub.Spec.Containers[0].SecurityContext != nil || sub.Spec.SecurityContext != nil {
		t.Errorf("default submitter pod %+v: want the operator's ray-job-submitter with the head's image and no securityContext", sub)
	}
	if len(sub.Added) != 1 || !sub.Added[0].Unfixable || !strings.Contains(sub.Added[0].Why, "set spec.submitterPodTemplate") {
		t.Errorf("default submitter Added %+v: want it marked unfixable, pointing at submitterPodTemplate", sub.Added)
	}
	if pods[0].Name != "job-*-head-*" {
		t.Errorf("head of a RayJob's cluster: name %q", pods[0].Name)
	}

	pods = mustDecode(t, rayJob("  submitterPodTemplate:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: mine\n        image: rayproject/ray:2.46.0\n        securityContext: {runAsNonRoot: true}\n"))
	sub = pods[len(pods)-1]
	if sub.Spec.Containers[0].Name != "mine" || !*sub.Spec.Containers[0].SecurityContext.RunAsNonRoot || len(sub.Added) != 0 {
		t.Errorf("with submitterPodTemplate the submitter is that template, got %+v", sub)
	}

	pods = mustDecode(t, rayJob("  submissionMode: SidecarMode\n"))
	if got := roles(pods); !reflect.DeepEqual(got, []string{"head", "worker group cpu", "worker group gpu"}) {
		t.Fatalf("SidecarMode: roles %v, want no submitter pod", got)
	}
	head := pods[0]
	if got := names(head.Spec.Containers); !reflect.DeepEqual(got, []string{"head", "ray-job-submitter"}) || head.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("SidecarMode head containers %v restartPolicy %s", got, head.Spec.RestartPolicy)
	}
	if len(head.Added) != 1 || !head.Added[0].Unfixable {
		t.Errorf("SidecarMode head Added %+v", head.Added)
	}

	// With autoscaling the submitter sits before the autoscaler: SidecarMode
	// changes the RayCluster spec, the autoscaler is added when its pod is built.
	y := strings.Replace(rayJob("  submissionMode: SidecarMode\n"), "  rayClusterSpec:\n", "  rayClusterSpec:\n    enableInTreeAutoscaling: true\n", 1)
	if got := names(mustDecode(t, y)[0].Spec.Containers); !reflect.DeepEqual(got, []string{"head", "ray-job-submitter", "autoscaler"}) {
		t.Errorf("SidecarMode with autoscaling: head containers %v", got)
	}

	for _, mode := range []string{"HTTPMode", "InteractiveMode"} {
		if got := roles(mustDecode(t, rayJob("  submissionMode: "+mode+"\n"))); len(got) != 3 {
			t.Errorf("%s: roles %v, want the cluster's pods only", mode, got)
		}
	}
}

func TestRayJobWithClusterSelectorMakesOnlyTheSubmitter(t *testing.T) {
	pods := mustDecode(t, "apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {name: j}\nspec:\n  clusterSelector: {ray.io/cluster: existing}\n")
	if got := roles(pods); !reflect.DeepEqual(got, []string{"submitter"}) {
		t.Fatalf("roles %v", got)
	}
}

func TestRayServiceUsesRayClusterConfig(t *testing.T) {
	spec := strings.SplitN(cluster, "spec:\n", 2)[1]
	pods := mustDecode(t, "apiVersion: ray.io/v1\nkind: RayService\nmetadata:\n  name: svc\nspec:\n  rayClusterConfig:\n"+indent(spec, "    "))
	if got := roles(pods); !reflect.DeepEqual(got, []string{"head", "worker group cpu", "worker group gpu"}) || pods[1].Name != "svc-*-cpu-worker-*" {
		t.Fatalf("roles %v, worker name %q", got, pods[1].Name)
	}
	if !strings.Contains(pods[1].Added[0].Why, "spec.rayClusterConfig.workerGroupSpecs[0]") {
		t.Errorf("the note points at the RayService's field: %s", pods[1].Added[0].Why)
	}
}

func TestCoreWorkloads(t *testing.T) {
	podSpec := "spec:\n  containers:\n  - name: c\n    image: i\n"
	tmpl := "template:\n  metadata:\n    annotations: {a: b}\n  " + strings.ReplaceAll(podSpec, "\n", "\n  ")
	for _, tc := range []struct{ y, name string }{
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n" + podSpec, "p"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\n" + podSpec, "p-*"},
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  " + strings.ReplaceAll(tmpl, "\n", "\n  "), "d-*-*"},
		{"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n  " + strings.ReplaceAll(tmpl, "\n", "\n  "), "s-0"},
		{"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec:\n  " + strings.ReplaceAll(tmpl, "\n", "\n  "), "ds-*"},
		{"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  " + strings.ReplaceAll(tmpl, "\n", "\n  "), "j-*"},
		{"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  jobTemplate:\n    spec:\n      " + strings.ReplaceAll(tmpl, "\n", "\n      "), "cj-*-*"},
	} {
		pods := mustDecode(t, tc.y)
		if len(pods) != 1 || pods[0].Name != tc.name || len(pods[0].Spec.Containers) != 1 || pods[0].Spec.Containers[0].Name != "c" {
			t.Errorf("%s: got %+v, want one pod %s with container c", strings.SplitN(tc.y, "\n", 3)[1], pods, tc.name)
		}
		if pods[0].Role == "template" && pods[0].Meta.Annotations["a"] != "b" {
			t.Errorf("%s: the template's annotations are lost; AppArmor checks read them", tc.name)
		}
	}
}

func TestObjectsWithoutPodsAndMalformedOnes(t *testing.T) {
	for _, y := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n",
	} {
		objs, _ := manifest.Decode("t", []byte(y))
		if _, err := Pods(objs[0], Operator{}); !errors.Is(err, ErrNoPods) {
			t.Errorf("%q: error %v, want ErrNoPods", y, err)
		}
	}
	// Another group's kind may make pods: not derived, never "makes none".
	objs, _ := manifest.Decode("t", []byte("apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: d}\n"))
	if _, err := Pods(objs[0], Operator{}); !errors.Is(err, ErrNotDerived) || errors.Is(err, ErrNoPods) {
		t.Errorf("another group's Deployment: error %v, want ErrNotDerived", err)
	}
	for _, tc := range []struct{ y, want string }{
		{"apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: r}\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        containers: []\n",
			"spec.headGroupSpec.template.spec.containers is empty"},
		{"apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: r}\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        containers:\n        - name: h\n          ports: 80\n",
			"field headGroupSpec.template.spec.containers.ports must be a []v1.ContainerPort, not a number"},
		{"apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: r}\n", "RayCluster r has no spec"},
		{"apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {name: j}\nspec: {entrypoint: x}\n", "neither spec.rayClusterSpec nor spec.clusterSelector"},
		{"apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {name: j}\nspec: {submissionMode: Foo, clusterSelector: {a: b}}\n", `spec.submissionMode "Foo" is not one of`},
		{"apiVersion: ray.io/v1\nkind: RayService\nmetadata: {name: s}\nspec: {serveConfigV2: x}\n", "has no spec.rayClusterConfig"},
		// KubeRay's kinds are derived or could not be checked, never
		// "makes no pods".
		{"apiVersion: ray.io/v1\nkind: RayCronJob\nmetadata: {name: r}\n", "RayCronJob r has no spec.jobTemplate"},
		{"apiVersion: ray.io/v1\nkind: RayQueue\nmetadata: {name: q}\n", "not a kind of KubeRay whose pods this check derives"},
	} {
		objs, _ := manifest.Decode("t", []byte(tc.y))
		_, err := Pods(objs[0], Operator{})
		if err == nil || errors.Is(err, ErrNoPods) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one saying %q", err, tc.want)
		}
	}
}

// What differs between the pinned releases: from v1.6 the operator leaves
// /dev/shm out when rayStartParams names a plasma-directory, and mounts a
// projected ServiceAccount token for Kubernetes token authentication.
func TestPodsFollowTheKubeRayRelease(t *testing.T) {
	y := strings.Replace(cluster, "  headGroupSpec:\n    rayStartParams: {}", "  authOptions: {mode: token, enableK8sTokenAuth: true}\n  headGroupSpec:\n    rayStartParams: {plasma-directory: /plasma}", 1)
	objs, err := manifest.Decode("test.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	volumes := func(spec corev1.PodSpec) (names []string) {
		for _, v := range spec.Volumes {
			names = append(names, v.Name)
		}
		return names
	}
	for _, c := range []struct {
		release             string
		headShm, headToken  bool
		workerShm, workerTk bool
	}{
		{"v1.5.1", true, false, true, false},
		{"v1.6.2", false, true, true, true},
	} {
		pods, err := Pods(objs[0], Operator{KubeRay: versions.KubeRayRelease{Version: c.release}})
		if err != nil {
			t.Fatal(err)
		}
		head, worker := pods[0].Spec, pods[1].Spec
		for _, check := range []struct {
			what string
			spec corev1.PodSpec
			vol  string
			want bool
		}{
			{"head /dev/shm", head, sharedMemoryVolume, c.headShm},
			{"head token", head, rayTokenVolume, c.headToken},
			{"worker /dev/shm", worker, sharedMemoryVolume, c.workerShm},
			{"worker token", worker, rayTokenVolume, c.workerTk},
		} {
			if got := slices.Contains(volumes(check.spec), check.vol); got != check.want {
				t.Errorf("KubeRay %s: %s volume %v, want %v (volumes %v)", c.release, check.what, got, check.want, volumes(check.spec))
			}
		}
		if c.workerTk {
			init := worker.InitContainers[len(worker.InitContainers)-1]
			if init.Name != waitGCSReadyName || init.VolumeMounts[len(init.VolumeMounts)-1].MountPath != rayTokenPath {
				t.Errorf("KubeRay %s: %s does not mount the token: %+v", c.release, init.Name, init.VolumeMounts)
			}
		}
	}
	// The default is the default release.
	pods, _ := Pods(objs[0], Operator{})
	if slices.Contains(volumes(pods[0].Spec), rayTokenVolume) != versions.DefaultKubeRay().AtLeast("v1.6.0") {
		t.Errorf("Operator{} does not derive as KubeRay %s", versions.KubeRay)
	}
}

// A RayCronJob makes a RayJob on every run, and so that RayJob's cluster and
// submitter pods, as KubeRay v1.6's RayCronJob controller builds it; before
// v1.6 there is no such kind, and so nothing to derive.
func TestRayCronJobPods(t *testing.T) {
	y := "apiVersion: ray.io/v1\nkind: RayCronJob\nmetadata: {name: nightly, namespace: pod-security}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    entrypoint: python x.py\n    rayClusterSpec:\n" +
		indent(strings.SplitN(cluster, "spec:\n", 2)[1], "      ")
	objs, err := manifest.Decode("t", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	pods, err := Pods(objs[0], Operator{KubeRay: versions.DefaultKubeRay()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pods {
		got = append(got, p.Role+" "+p.Name)
	}
	if len(pods) < 3 || !strings.HasPrefix(got[0], "RayJob nightly-* head nightly-*-") || !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "submitter") }) {
		t.Errorf("pods of the RayCronJob's RayJob: %v", got)
	}
	old, err := versions.LookupKubeRay("v1.5.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pods(objs[0], Operator{KubeRay: old}); err == nil || errors.Is(err, ErrNoPods) || !strings.Contains(err.Error(), "KubeRay v1.5.1 has no RayCronJob") {
		t.Errorf("KubeRay v1.5.1: %v, want an error saying it has no RayCronJob", err)
	}
}
