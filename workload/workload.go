// Package workload derives the pods a Kubernetes object will make: the pod
// itself, the template of a Deployment, StatefulSet, Job and the like, and
// for KubeRay's RayCluster, RayJob, RayService and RayCronJob the pods a pinned KubeRay
// operator (versions.KubeRayReleases; Operator.KubeRay picks one) builds,
// with the containers and volumes that release adds.
//
// It reproduces every pod field a Pod Security check reads (containers and
// their order, securityContext, ports, probes and lifecycle hooks, volumes,
// host namespaces, sysctls, OS, annotations). Fields no check reads, such as
// commands, environment variables, resources and labels, are left as the
// manifest has them.
package workload

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kuberay-docs/pod-security-e2e/versions"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// Pod is one pod a workload will make.
type Pod struct {
	// Role says which of the workload's pods it is: "pod", "template",
	// "head", "worker group NAME", "submitter", "redis cleanup".
	Role string
	// Name is the pod's name as it will be created; a trailing "*" stands
	// for the random characters the API server or the operator picks.
	Name string
	// Meta and Spec are the pod as its creator sends it to the API server.
	Meta metav1.ObjectMeta
	Spec corev1.PodSpec
	// Added lists the containers the operator puts into the pod, and what
	// decides their securityContext.
	Added []Added
}

// Added is a container the KubeRay operator puts into a pod.
type Added struct {
	Container string
	// Why says where the container comes from and which field, if any,
	// decides its securityContext.
	Why string
	// Unfixable is set when no field of the manifest can give the container
	// a securityContext, so it fails the restricted standard whatever the
	// manifest says.
	Unfixable bool
}

// Operator holds the operator release and settings (environment variables of
// the operator Deployment) that change the pods it builds.
type Operator struct {
	// KubeRay is the operator's release; the zero value is the default
	// release (versions.KubeRay).
	KubeRay versions.KubeRayRelease
	// NoInitContainerInjection mirrors ENABLE_INIT_CONTAINER_INJECTION=false:
	// worker pods then get no wait-gcs-ready init container.
	NoInitContainerInjection bool
	// NoRedisCleanup mirrors ENABLE_GCS_FT_REDIS_CLEANUP=false: no cleanup
	// Job when a RayCluster with GCS fault tolerance is deleted.
	NoRedisCleanup bool
}

// ErrNoPods marks an object that makes no pods: a ConfigMap, a Service, any
// kind of Kubernetes' own API groups that is not a workload. The object is
// then not checked. A kind whose pods this package cannot derive is never
// ErrNoPods, as it may well make pods: another group's custom resource is
// ErrNotDerived, and a KubeRay kind this package or the release does not
// know is an error.
var ErrNoPods = errors.New("makes no pods")

// ErrNotDerived marks an object of another API group than Kubernetes' and
// KubeRay's: whether it makes pods, and which, is not known here.
var ErrNotDerived = errors.New("not checked")

// Pods returns the pods obj will make, in the order they are made. An error
// wrapping ErrNoPods means the object makes none that this package knows of;
// any other error means the object is malformed.
func Pods(obj *unstructured.Unstructured, op Operator) ([]Pod, error) {
	if op.KubeRay.Version == "" {
		op.KubeRay = versions.DefaultKubeRay()
	}
	gvk := obj.GroupVersionKind()
	switch gvk.GroupKind() {
	case schema.GroupKind{Group: "ray.io", Kind: "RayCluster"}:
		return rayClusterPods(obj, op)
	case schema.GroupKind{Group: "ray.io", Kind: "RayJob"}:
		return rayJobPods(obj, op)
	case schema.GroupKind{Group: "ray.io", Kind: "RayService"}:
		return rayServicePods(obj, op)
	case schema.GroupKind{Group: "ray.io", Kind: "RayCronJob"}:
		return rayCronJobPods(obj, op)
	}
	if path, ok := templatePaths[gvk.GroupKind()]; ok {
		return corePods(obj, path)
	}
	if gvk.Group == "ray.io" {
		return nil, fmt.Errorf("%s %s: not a kind of KubeRay whose pods this check derives (RayCluster, RayJob, RayService, RayCronJob), so whether and which pods it makes is unknown", gvk.GroupVersion(), gvk.Kind)
	}
	if !builtinGroups[gvk.Group] {
		return nil, fmt.Errorf("%w: %s %s is a kind of another API group, whose pods, if it makes any, this check cannot derive", ErrNotDerived, gvk.GroupVersion(), gvk.Kind)
	}
	return nil, fmt.Errorf("%w: %s %s is not a workload kind", ErrNoPods, gvk.GroupVersion(), gvk.Kind)
}

// builtinGroups are Kubernetes' own API groups: their kinds that are not
// in templatePaths make no pods.
var builtinGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true, "networking.k8s.io": true,
	"rbac.authorization.k8s.io": true, "storage.k8s.io": true, "scheduling.k8s.io": true, "coordination.k8s.io": true,
	"discovery.k8s.io": true, "node.k8s.io": true, "apiextensions.k8s.io": true, "admissionregistration.k8s.io": true,
	"certificates.k8s.io": true, "events.k8s.io": true, "flowcontrol.apiserver.k8s.io": true, "resource.k8s.io": true,
}

// Kinds are the kinds whose pods Pods derives.
var Kinds = []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "PodTemplate", "RayCluster", "RayJob", "RayService", "RayCronJob"}

// templatePaths locates the pod template of the built-in workload kinds, as
// the Pod Security admission plugin does for its warnings.
var templatePaths = map[schema.GroupKind][]string{
	{Group: "", Kind: "Pod"}:                   nil,
	{Group: "", Kind: "PodTemplate"}:           {"template"},
	{Group: "", Kind: "ReplicationController"}: {"spec", "template"},
	{Group: "apps", Kind: "ReplicaSet"}:        {"spec", "template"},
	{Group: "apps", Kind: "Deployment"}:        {"spec", "template"},
	{Group: "apps", Kind: "StatefulSet"}:       {"spec", "template"},
	{Group: "apps", Kind: "DaemonSet"}:         {"spec", "template"},
	{Group: "batch", Kind: "Job"}:              {"spec", "template"},
	{Group: "batch", Kind: "CronJob"}:          {"spec", "jobTemplate", "spec", "template"},
}

func corePods(obj *unstructured.Unstructured, path []string) ([]Pod, error) {
	var tmpl corev1.PodTemplateSpec
	if path == nil {
		var pod corev1.Pod
		if err := decode(obj.Object, &pod, "the Pod"); err != nil {
			return nil, err
		}
		return []Pod{{Role: "pod", Name: podName(pod.ObjectMeta), Meta: pod.ObjectMeta, Spec: pod.Spec}}, nil
	}
	field := strings.Join(path, ".")
	raw, found, err := unstructured.NestedFieldNoCopy(obj.Object, path...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if !found {
		return nil, fmt.Errorf("%w: it has no %s", ErrNoPods, field)
	}
	if err := decode(raw, &tmpl, field); err != nil {
		return nil, err
	}
	return []Pod{{Role: "template", Name: controllerPodName(obj), Meta: tmpl.ObjectMeta, Spec: tmpl.Spec}}, nil
}

func podName(m metav1.ObjectMeta) string {
	if m.Name == "" && m.GenerateName != "" {
		return m.GenerateName + "*"
	}
	return m.Name
}

// controllerPodName is how the built-in controllers name the pods they make.
func controllerPodName(obj *unstructured.Unstructured) string {
	name := obj.GetName()
	switch obj.GetKind() {
	case "StatefulSet":
		return name + "-0"
	case "Deployment", "CronJob":
		return name + "-*-*"
	case "PodTemplate":
		return "*"
	}
	return name + "-*"
}

// decode converts part of an unstructured object to a typed value the way
// the API server reads JSON: field names match case-sensitively, and unknown
// fields are dropped.
func decode(in interface{}, out interface{}, field string) error {
	data, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, out); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fmt.Errorf("%s: field %s must be a %s, not a %s", field, typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}
