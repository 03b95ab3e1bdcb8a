package workload

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kuberay-docs/pod-security-e2e/versions"
)

// The parts of KubeRay's API (ray.io/v1) that decide what goes into a pod.
// KubeRay's own Go types are not imported: the operator module brings
// controller-runtime along, at versions that clash with this module's.
type rayClusterSpec struct {
	EnableInTreeAutoscaling *bool              `json:"enableInTreeAutoscaling,omitempty"`
	AutoscalerOptions       *autoscalerOptions `json:"autoscalerOptions,omitempty"`
	// Only its presence matters: it turns on GCS fault tolerance.
	GcsFaultToleranceOptions map[string]interface{} `json:"gcsFaultToleranceOptions,omitempty"`
	HeadGroupSpec            struct {
		RayStartParams map[string]string      `json:"rayStartParams,omitempty"`
		Template       corev1.PodTemplateSpec `json:"template"`
	} `json:"headGroupSpec"`
	WorkerGroupSpecs []struct {
		GroupName      string                 `json:"groupName"`
		RayStartParams map[string]string      `json:"rayStartParams,omitempty"`
		Template       corev1.PodTemplateSpec `json:"template"`
	} `json:"workerGroupSpecs,omitempty"`
	AuthOptions *struct {
		Mode               string `json:"mode,omitempty"`
		EnableK8sTokenAuth *bool  `json:"enableK8sTokenAuth,omitempty"`
	} `json:"authOptions,omitempty"`
}

type autoscalerOptions struct {
	Image           *string                 `json:"image,omitempty"`
	ImagePullPolicy *corev1.PullPolicy      `json:"imagePullPolicy,omitempty"`
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
	Version         *string                 `json:"version,omitempty"`
	VolumeMounts    []corev1.VolumeMount    `json:"volumeMounts,omitempty"`
}

type rayJobSpec struct {
	RayClusterSpec       *rayClusterSpec         `json:"rayClusterSpec,omitempty"`
	SubmitterPodTemplate *corev1.PodTemplateSpec `json:"submitterPodTemplate,omitempty"`
	ClusterSelector      map[string]string       `json:"clusterSelector,omitempty"`
	SubmissionMode       string                  `json:"submissionMode,omitempty"`
}

type rayServiceSpec struct {
	RayClusterConfig *rayClusterSpec `json:"rayClusterConfig,omitempty"`
}

// Names and values the operator uses (ray-operator/controllers/ray/utils
// and common of the pinned release).
const (
	rayContainer       = 0 // the Ray container is the first of a template
	autoscalerName     = "autoscaler"
	waitGCSReadyName   = "wait-gcs-ready"
	submitterName      = "ray-job-submitter"
	metricsPortName    = "metrics"
	metricsPort        = 8080
	sharedMemoryVolume = "shared-mem"
	sharedMemoryPath   = "/dev/shm"
	rayLogsVolume      = "ray-logs"
	rayLogsPath        = "/tmp/ray"
	plasmaDirectoryKey = "plasma-directory"
	rayTokenVolume     = "ray-token"
	rayTokenPath       = "/var/run/secrets/ray.io/serviceaccount"
	ftEnabledKey       = "ray.io/ft-enabled"

	k8sJobMode      = "K8sJobMode"
	httpMode        = "HTTPMode"
	interactiveMode = "InteractiveMode"
	sidecarMode     = "SidecarMode"
)

// rayCluster is a RayCluster spec with what the operator also reads from the
// object that owns it.
type rayCluster struct {
	name        string // the RayCluster's name; may end in "*" for a random part
	annotations map[string]string
	spec        rayClusterSpec
	field       string // where spec sits in the manifest, for messages
}

func rayClusterPods(obj *unstructured.Unstructured, op Operator) ([]Pod, error) {
	var spec rayClusterSpec
	if err := decodeField(obj, &spec, "spec"); err != nil {
		return nil, err
	}
	rc := rayCluster{name: obj.GetName(), annotations: obj.GetAnnotations(), spec: spec, field: "spec"}
	return rc.pods(op, nil)
}

func rayServicePods(obj *unstructured.Unstructured, op Operator) ([]Pod, error) {
	var spec rayServiceSpec
	if err := decodeField(obj, &spec, "spec"); err != nil {
		return nil, err
	}
	if spec.RayClusterConfig == nil {
		return nil, fmt.Errorf("RayService %s has no spec.rayClusterConfig: the operator needs it to build the RayCluster", obj.GetName())
	}
	// The operator names the cluster after the service plus random characters.
	rc := rayCluster{name: obj.GetName() + "-*", annotations: obj.GetAnnotations(), spec: *spec.RayClusterConfig, field: "spec.rayClusterConfig"}
	return rc.pods(op, nil)
}

// rayCronJobPods derives the pods of the RayJob a RayCronJob makes on each
// of its runs, as the release's RayCronJob controller builds it: named
// <cronjob>-<5 random characters>, in the RayCronJob's namespace, its spec
// the RayCronJob's spec.jobTemplate, with no annotation of the RayCronJob's.
// KubeRay added the kind in v1.6.0: an older release has no such kind.
func rayCronJobPods(obj *unstructured.Unstructured, op Operator) ([]Pod, error) {
	if !op.KubeRay.AtLeast("v1.6.0") {
		return nil, fmt.Errorf("RayCronJob %s: KubeRay %s has no RayCronJob (it came in v1.6.0): its API server would refuse the object, and no pod of it can be derived", obj.GetName(), op.KubeRay.Version)
	}
	tmpl, ok, err := unstructured.NestedMap(obj.Object, "spec", "jobTemplate")
	if err != nil {
		return nil, fmt.Errorf("RayCronJob %s: spec.jobTemplate: %w", obj.GetName(), err)
	}
	if !ok {
		return nil, fmt.Errorf("RayCronJob %s has no spec.jobTemplate: the RayJob it makes on each run has no spec", obj.GetName())
	}
	job := &unstructured.Unstructured{Object: map[string]any{"spec": tmpl}}
	job.SetAPIVersion("ray.io/v1")
	job.SetKind("RayJob")
	job.SetName(obj.GetName() + "-*")
	job.SetNamespace(obj.GetNamespace())
	pods, err := rayJobPods(job, op)
	if err != nil {
		return nil, fmt.Errorf("RayCronJob %s, the RayJob of each run: %w", obj.GetName(), err)
	}
	for i := range pods {
		pods[i].Role = "RayJob " + job.GetName() + " " + pods[i].Role
	}
	return pods, nil
}

func rayJobPods(obj *unstructured.Unstructured, op Operator) ([]Pod, error) {
	var spec rayJobSpec
	if err := decodeField(obj, &spec, "spec"); err != nil {
		return nil, err
	}
	mode := spec.SubmissionMode
	if mode == "" {
		mode = k8sJobMode // the CRD's default
	}
	switch mode {
	case k8sJobMode, httpMode, interactiveMode, sidecarMode:
	default:
		return nil, fmt.Errorf("RayJob %s: spec.submissionMode %q is not one of %s, %s, %s, %s", obj.GetName(), mode, k8sJobMode, httpMode, interactiveMode, sidecarMode)
	}
	var pods []Pod
	if len(spec.ClusterSelector) == 0 {
		if spec.RayClusterSpec == nil {
			return nil, fmt.Errorf("RayJob %s has neither spec.rayClusterSpec nor spec.clusterSelector: the operator needs one of them to find a cluster", obj.GetName())
		}
		rc := rayCluster{name: obj.GetName() + "-*", annotations: obj.GetAnnotations(), spec: *spec.RayClusterSpec, field: "spec.rayClusterSpec"}
		var sidecar func(*corev1.PodTemplateSpec) Added
		if mode == sidecarMode {
			sidecar = func(t *corev1.PodTemplateSpec) Added {
				// SidecarMode appends the submitter to the RayCluster's head
				// template, before the operator adds its own containers.
				t.Spec.Containers = append(t.Spec.Containers, defaultSubmitter(t.Spec.Containers[rayContainer].Image))
				t.Spec.RestartPolicy = corev1.RestartPolicyNever
				return Added{
					Container: submitterName,
					Why: fmt.Sprintf("container %q is added to the head pod by the KubeRay operator in SidecarMode; KubeRay %s gives it no securityContext and no field of the RayJob sets one, so this pod cannot pass the restricted standard: use submissionMode %s with a hardened spec.submitterPodTemplate, or %s",
						submitterName, op.KubeRay.Version, k8sJobMode, httpMode),
					Unfixable: true,
				}
			}
		}
		clusterPods, err := rc.pods(op, sidecar)
		if err != nil {
			return nil, err
		}
		pods = append(pods, clusterPods...)
	}
	if mode == k8sJobMode {
		p, err := submitterPod(obj.GetName(), spec, op.KubeRay)
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	return pods, nil
}

// submitterPod is the pod of the Kubernetes Job the operator creates in
// K8sJobMode; the Job is named after the RayJob.
func submitterPod(jobName string, spec rayJobSpec, r versions.KubeRayRelease) (Pod, error) {
	p := Pod{Role: "submitter", Name: jobName + "-*"}
	if t := spec.SubmitterPodTemplate; t != nil {
		if len(t.Spec.Containers) == 0 {
			return Pod{}, fmt.Errorf("RayJob %s: spec.submitterPodTemplate has no containers: the operator runs `ray job submit` in the first one", jobName)
		}
		t = t.DeepCopy()
		p.Meta, p.Spec = t.ObjectMeta, t.Spec
		return p, nil
	}
	image := ""
	if rcs := spec.RayClusterSpec; rcs != nil && len(rcs.HeadGroupSpec.Template.Spec.Containers) > 0 {
		image = rcs.HeadGroupSpec.Template.Spec.Containers[rayContainer].Image
	}
	p.Spec = corev1.PodSpec{
		Containers:    []corev1.Container{defaultSubmitter(image)},
		RestartPolicy: corev1.RestartPolicyNever,
	}
	p.Added = []Added{{
		Container: submitterName,
		Why: fmt.Sprintf("this is the KubeRay operator's default submitter pod, made because spec.submitterPodTemplate is not set; KubeRay %s gives its container %q no securityContext and no field of the RayJob sets one, so it cannot pass the restricted standard: set spec.submitterPodTemplate with a hardened container",
			r.Version, submitterName),
		Unfixable: true,
	}}
	return p, nil
}

// defaultSubmitter is the operator's submitter container; it runs the Ray
// image of the head so that the CLI matches the cluster.
func defaultSubmitter(image string) corev1.Container {
	return corev1.Container{
		Name:  submitterName,
		Image: image,
		Resources: corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")},
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("200Mi")},
		},
	}
}

// pods builds the head, one pod per worker group, and the Redis cleanup
// Job's pod when the operator will make one. sidecar, when set, changes the
// head template before the operator's own additions, as a RayJob in
// SidecarMode does.
func (rc rayCluster) pods(op Operator, sidecar func(*corev1.PodTemplateSpec) Added) ([]Pod, error) {
	head, err := rc.head(op, sidecar)
	if err != nil {
		return nil, err
	}
	pods := []Pod{head}
	for i := range rc.spec.WorkerGroupSpecs {
		w, err := rc.worker(i, op)
		if err != nil {
			return nil, err
		}
		pods = append(pods, w)
	}
	if !op.NoRedisCleanup && rc.faultTolerant() {
		pods = append(pods, rc.redisCleanup(head))
	}
	return pods, nil
}

func (rc rayCluster) autoscaling() bool {
	return rc.spec.EnableInTreeAutoscaling != nil && *rc.spec.EnableInTreeAutoscaling
}

func (rc rayCluster) autoscalerV2() bool {
	o := rc.spec.AutoscalerOptions
	return o != nil && o.Version != nil && *o.Version == "v2"
}

func (rc rayCluster) faultTolerant() bool {
	return strings.EqualFold(rc.annotations[ftEnabledKey], "true") || rc.spec.GcsFaultToleranceOptions != nil
}

// head follows DefaultHeadPodTemplate and BuildPod of the operator.
func (rc rayCluster) head(op Operator, sidecar func(*corev1.PodTemplateSpec) Added) (Pod, error) {
	t := rc.spec.HeadGroupSpec.Template.DeepCopy()
	if len(t.Spec.Containers) == 0 {
		return Pod{}, fmt.Errorf("%s.headGroupSpec.template.spec.containers is empty: the operator runs Ray in the first container", rc.field)
	}
	p := Pod{Role: "head", Name: operatorPodName(rc.name, "head")}
	if sidecar != nil {
		p.Added = append(p.Added, sidecar(t))
	}
	if rc.autoscaling() {
		t.Spec.Containers = append(t.Spec.Containers, rc.autoscaler(t.Spec.Containers[rayContainer].Image))
		why := fmt.Sprintf("container %q is added by the KubeRay operator because %s.enableInTreeAutoscaling is true; it takes its securityContext only from %s.autoscalerOptions.securityContext: harden it there",
			autoscalerName, rc.field, rc.field)
		p.Added = append(p.Added, Added{Container: autoscalerName, Why: why})
		if rc.autoscalerV2() {
			t.Spec.RestartPolicy = corev1.RestartPolicyNever
		}
	}
	addMetricsPort(&t.Spec.Containers[rayContainer])
	rc.sharedMemory(op, &t.Spec, rc.spec.HeadGroupSpec.RayStartParams)
	rc.tokenVolume(op, &t.Spec)
	if rc.autoscaling() {
		// The autoscaler writes logs the Ray head reads, through a shared volume.
		addEmptyDir(&t.Spec, rayContainer, rayLogsVolume, rayLogsPath, corev1.StorageMediumDefault)
		addEmptyDir(&t.Spec, containerIndex(t.Spec.Containers, autoscalerName), rayLogsVolume, rayLogsPath, corev1.StorageMediumDefault)
	}
	p.Meta, p.Spec = t.ObjectMeta, t.Spec
	return p, nil
}

// autoscaler is BuildAutoscalerContainer with autoscalerOptions merged in.
func (rc rayCluster) autoscaler(rayImage string) corev1.Container {
	c := corev1.Container{Name: autoscalerName, Image: rayImage, ImagePullPolicy: corev1.PullIfNotPresent}
	if o := rc.spec.AutoscalerOptions; o != nil {
		if o.Image != nil {
			c.Image = *o.Image
		}
		if o.ImagePullPolicy != nil {
			c.ImagePullPolicy = *o.ImagePullPolicy
		}
		c.VolumeMounts = append(c.VolumeMounts, o.VolumeMounts...)
		if o.SecurityContext != nil {
			c.SecurityContext = o.SecurityContext.DeepCopy()
		}
	}
	return c
}

// worker follows DefaultWorkerPodTemplate and BuildPod of the operator.
func (rc rayCluster) worker(i int, op Operator) (Pod, error) {
	g := rc.spec.WorkerGroupSpecs[i]
	t := g.Template.DeepCopy()
	if len(t.Spec.Containers) == 0 {
		return Pod{}, fmt.Errorf("%s.workerGroupSpecs[%d].template.spec.containers is empty: the operator runs Ray in the first container", rc.field, i)
	}
	p := Pod{Role: "worker group " + g.GroupName, Name: operatorPodName(rc.name+"-"+g.GroupName, "worker")}
	if !op.NoInitContainerInjection {
		ray := t.Spec.Containers[rayContainer]
		t.Spec.InitContainers = append(t.Spec.InitContainers, corev1.Container{
			Name:            waitGCSReadyName,
			Image:           ray.Image,
			ImagePullPolicy: ray.ImagePullPolicy,
			// The operator copies the Ray container's securityContext, env
			// and mounts as they are in the manifest.
			SecurityContext: ray.SecurityContext.DeepCopy(),
			Env:             append([]corev1.EnvVar(nil), ray.Env...),
			VolumeMounts:    append([]corev1.VolumeMount(nil), ray.VolumeMounts...),
			Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			},
		})
		p.Added = append(p.Added, Added{
			Container: waitGCSReadyName,
			Why: fmt.Sprintf("init container %q is added by the KubeRay operator and copies the securityContext of container %q (%s.workerGroupSpecs[%d].template.spec.containers[0]): harden that container",
				waitGCSReadyName, ray.Name, rc.field, i),
		})
	}
	addMetricsPort(&t.Spec.Containers[rayContainer])
	if rc.autoscaling() && rc.autoscalerV2() {
		t.Spec.RestartPolicy = corev1.RestartPolicyNever
	}
	rc.tokenVolume(op, &t.Spec)
	rc.sharedMemory(op, &t.Spec, g.RayStartParams)
	p.Meta, p.Spec = t.ObjectMeta, t.Spec
	return p, nil
}

// sharedMemory mounts /dev/shm for Ray's object store. From KubeRay v1.6 the
// operator leaves it out when rayStartParams names a plasma-directory.
func (rc rayCluster) sharedMemory(op Operator, spec *corev1.PodSpec, params map[string]string) {
	if _, ok := params[plasmaDirectoryKey]; ok && op.KubeRay.AtLeast("v1.6.0") {
		return
	}
	addEmptyDir(spec, rayContainer, sharedMemoryVolume, sharedMemoryPath, corev1.StorageMediumMemory)
}

// tokenVolume is KubeRay v1.6's Kubernetes token authentication
// (authOptions.mode token with enableK8sTokenAuth): a projected
// ServiceAccount token volume, mounted read-only into the Ray container and
// the init and autoscaler containers the operator adds.
func (rc rayCluster) tokenVolume(op Operator, spec *corev1.PodSpec) {
	a := rc.spec.AuthOptions
	if a == nil || a.Mode != "token" || a.EnableK8sTokenAuth == nil || !*a.EnableK8sTokenAuth || !op.KubeRay.AtLeast("v1.6.0") {
		return
	}
	addVolume(spec, corev1.Volume{Name: rayTokenVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}},
	}}})
	mount := func(c *corev1.Container) {
		if slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == rayTokenVolume }) {
			return
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: rayTokenVolume, MountPath: rayTokenPath, ReadOnly: true})
	}
	mount(&spec.Containers[rayContainer])
	if i := containerIndex(spec.Containers, autoscalerName); i >= 0 {
		mount(&spec.Containers[i])
	}
	for i := range spec.InitContainers {
		if spec.InitContainers[i].Name == waitGCSReadyName {
			mount(&spec.InitContainers[i])
		}
	}
}

// redisCleanup is the pod of the Job the operator runs when a RayCluster
// with GCS fault tolerance is deleted: the head pod with only its Ray
// container.
func (rc rayCluster) redisCleanup(head Pod) Pod {
	spec := *head.Spec.DeepCopy()
	ray := spec.Containers[rayContainer]
	ray.LivenessProbe, ray.ReadinessProbe = nil, nil
	spec.Containers = []corev1.Container{ray}
	spec.RestartPolicy = corev1.RestartPolicyNever
	// The Job is named <cluster>-redis-cleanup; its pod gets a generated suffix.
	return Pod{Role: "redis cleanup", Name: rc.name + "-redis-cleanup-*", Meta: *head.Meta.DeepCopy(), Spec: spec}
}

// operatorPodName is utils.PodName with a generated name: the prefix is cut
// to 50 characters and lower-cased.
func operatorPodName(prefix, nodeType string) string {
	if len(prefix) > 50 {
		prefix = prefix[:50]
	}
	return strings.ToLower(prefix+"-"+nodeType+"-") + "*"
}

func addMetricsPort(c *corev1.Container) {
	for _, p := range c.Ports {
		if p.Name == metricsPortName {
			return
		}
	}
	c.Ports = append(c.Ports, corev1.ContainerPort{Name: metricsPortName, ContainerPort: metricsPort})
}

// addEmptyDir mounts an emptyDir volume into container i at path unless
// something is mounted there already, as the operator's addEmptyDir does: a
// volume of that name that already exists is reused, whatever its type.
func addEmptyDir(spec *corev1.PodSpec, i int, volume, path string, medium corev1.StorageMedium) {
	if i < 0 {
		return
	}
	c := &spec.Containers[i]
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return
		}
	}
	addVolume(spec, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: medium}}})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: volume, MountPath: path})
}

// addVolume adds v to the pod unless a volume of its name is there already,
// as the operator's utils.VolumeExists checks: the existing one is kept,
// whatever its type.
func addVolume(spec *corev1.PodSpec, v corev1.Volume) {
	if !slices.ContainsFunc(spec.Volumes, func(o corev1.Volume) bool { return o.Name == v.Name }) {
		spec.Volumes = append(spec.Volumes, v)
	}
}

func containerIndex(cs []corev1.Container, name string) int {
	for i, c := range cs {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func decodeField(obj *unstructured.Unstructured, out interface{}, field string) error {
	raw, found, err := unstructured.NestedFieldNoCopy(obj.Object, field)
	if err != nil {
		return fmt.Errorf("%s %s: %s: %w", obj.GetKind(), obj.GetName(), field, err)
	}
	if !found {
		return fmt.Errorf("%s %s has no %s", obj.GetKind(), obj.GetName(), field)
	}
	if err := decode(raw, out, field); err != nil {
		return fmt.Errorf("%s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	return nil
}
