package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// rendered is one kustomization built offline and decoded strictly into
// the Kubernetes API types.
type rendered struct {
	ServiceAccounts []corev1.ServiceAccount
	Deployments     []appsv1.Deployment
	Services        []corev1.Service
	HPAs            []autoscalingv2.HorizontalPodAutoscaler
	PDBs            []policyv1.PodDisruptionBudget
	NetworkPolicies []networkingv1.NetworkPolicy
	ServiceMonitors []monitoringv1.ServiceMonitor
	PrometheusRules []monitoringv1.PrometheusRule
}

// decodeStrict turns one YAML document into v; unknown or duplicate fields
// are errors.
func decodeStrict(doc []byte, v any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the object")
	}
	return nil
}

func decodeInto[T any](doc []byte, list *[]T) error {
	var v T
	if err := decodeStrict(doc, &v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

func (r *rendered) add(doc []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return err
	}
	switch head.APIVersion + " " + head.Kind {
	case "v1 ServiceAccount":
		return decodeInto(doc, &r.ServiceAccounts)
	case "apps/v1 Deployment":
		return decodeInto(doc, &r.Deployments)
	case "v1 Service":
		return decodeInto(doc, &r.Services)
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return decodeInto(doc, &r.HPAs)
	case "policy/v1 PodDisruptionBudget":
		return decodeInto(doc, &r.PDBs)
	case "networking.k8s.io/v1 NetworkPolicy":
		return decodeInto(doc, &r.NetworkPolicies)
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return decodeInto(doc, &r.ServiceMonitors)
	case "monitoring.coreos.com/v1 PrometheusRule":
		return decodeInto(doc, &r.PrometheusRules)
	}
	return fmt.Errorf("unexpected object %s %s", head.APIVersion, head.Kind)
}

// render builds a kustomization from disk, with no network and no plugins.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	require.NoError(t, err, "kustomize build %s", dir)
	out, err := resMap.AsYaml()
	require.NoError(t, err)
	r := &rendered{}
	for i, doc := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		require.NoError(t, r.add(doc), "object %d of %s:\n%s", i, dir, doc)
	}
	return r
}

func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc string }{
		{"typo in a container", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          imagePullPolicyy: Always\n"},
		{"probe in the wrong place", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  readinessProbe: {}\n"},
		{"duplicate key", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n"},
		{"unknown ServiceMonitor field", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec:\n  endpoint: []\n"},
		{"unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Error(t, (&rendered{}).add([]byte(tc.doc)))
		})
	}
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

func duration(t *testing.T, env map[string]corev1.EnvVar, name string) time.Duration {
	t.Helper()
	e, ok := env[name]
	require.True(t, ok, "%s is set", name)
	d, err := time.ParseDuration(e.Value)
	require.NoError(t, err, name)
	return d
}

// selects reports whether a label selector map picks objects with these
// labels.
func selects(selector, objLabels map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(objLabels))
}

// checkCommon asserts what base and overlays share.
func checkCommon(t *testing.T, r *rendered) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	require.Len(t, r.Deployments, 1)
	require.Len(t, r.Services, 1)
	require.Len(t, r.ServiceAccounts, 1)
	require.Len(t, r.PDBs, 1)
	require.Len(t, r.NetworkPolicies, 1)
	require.Len(t, r.ServiceMonitors, 1)
	d := r.Deployments[0]
	pod := d.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]

	// Labels and selectors agree.
	podLabels := d.Spec.Template.Labels
	assert.True(t, selects(d.Spec.Selector.MatchLabels, podLabels), "the Deployment selects its pods")
	svc := r.Services[0]
	assert.True(t, selects(svc.Spec.Selector, podLabels), "the Service selects the pods")
	assert.True(t, selects(r.PDBs[0].Spec.Selector.MatchLabels, podLabels), "the PDB selects the pods")
	assert.True(t, selects(r.NetworkPolicies[0].Spec.PodSelector.MatchLabels, podLabels), "the NetworkPolicy selects the pods")
	assert.True(t, selects(r.ServiceMonitors[0].Spec.Selector.MatchLabels, svc.Labels), "the ServiceMonitor selects the Service")
	assert.Equal(t, r.ServiceAccounts[0].Name, pod.ServiceAccountName)

	// The Service and the ServiceMonitor reach the container's port.
	require.Len(t, c.Ports, 1)
	assert.Equal(t, int32(8080), c.Ports[0].ContainerPort)
	assert.Equal(t, intstr.FromString(c.Ports[0].Name), svc.Spec.Ports[0].TargetPort)
	require.Len(t, r.ServiceMonitors[0].Spec.Endpoints, 1)
	ep := r.ServiceMonitors[0].Spec.Endpoints[0]
	assert.Equal(t, svc.Spec.Ports[0].Name, ep.Port)
	assert.Equal(t, "/metrics", ep.Path)

	// Probes on the right endpoints of the named port.
	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	paths := map[string]string{"startup": "/healthz", "liveness": "/healthz", "readiness": "/readyz"}
	for name, p := range probes {
		require.NotNil(t, p, name)
		require.NotNil(t, p.HTTPGet, name)
		assert.Equal(t, paths[name], p.HTTPGet.Path, name)
		assert.Equal(t, intstr.FromString("http"), p.HTTPGet.Port, name)
	}

	// The restricted Pod Security Standard.
	psc := pod.SecurityContext
	require.NotNil(t, psc)
	assert.Equal(t, true, *psc.RunAsNonRoot)
	assert.Equal(t, int64(65532), *psc.RunAsUser, "distroless nonroot")
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, psc.SeccompProfile.Type)
	sc := c.SecurityContext
	require.NotNil(t, sc)
	assert.Equal(t, true, *sc.RunAsNonRoot)
	assert.Equal(t, true, *sc.ReadOnlyRootFilesystem)
	assert.Equal(t, false, *sc.AllowPrivilegeEscalation)
	assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	assert.Empty(t, sc.Capabilities.Add)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sc.SeccompProfile.Type)
	assert.Equal(t, false, *pod.AutomountServiceAccountToken)
	assert.Empty(t, pod.Volumes, "nothing is written to disk")

	// Resources, and the Go runtime's soft limit below the memory limit:
	// the container's limit in bytes reaches the connector, which sets
	// GOMEMLIMIT to 3/4 of it (cmd/connector/gc.go); a GOMEMLIMIT in the
	// environment would override that with a value the limit cannot check.
	assert.False(t, c.Resources.Requests.Cpu().IsZero())
	assert.False(t, c.Resources.Requests.Memory().IsZero())
	assert.False(t, c.Resources.Limits.Memory().IsZero())
	env := envOf(c)
	memLimit := env["CONNECTOR_MEMORY_LIMIT"]
	require.NotNil(t, memLimit.ValueFrom, "the memory limit comes from the downward API")
	require.NotNil(t, memLimit.ValueFrom.ResourceFieldRef)
	assert.Equal(t, "limits.memory", memLimit.ValueFrom.ResourceFieldRef.Resource)
	assert.Equal(t, c.Name, memLimit.ValueFrom.ResourceFieldRef.ContainerName)
	assert.Equal(t, int64(1), memLimit.ValueFrom.ResourceFieldRef.Divisor.Value(), "in bytes")
	_, gomemlimit := env["GOMEMLIMIT"]
	assert.False(t, gomemlimit, "GOMEMLIMIT is derived below the limit, not set to it")

	// Signing with several replicas needs a shared replay guard: a
	// deployment that may run more than one pod and verifies signatures
	// must give the pods a Redis.
	_, signing := env["CONNECTOR_SIGNING_SECRETS"]
	if signing && (d.Spec.Replicas == nil || *d.Spec.Replicas > 1 || len(r.HPAs) > 0) {
		_, redis := env["CONNECTOR_REDIS_URL"]
		assert.True(t, redis, "signing secrets with several replicas and no CONNECTOR_REDIS_URL: replays and idempotency would hold per pod")
	}

	// Shutdown: the grace period covers the drain and the longest execution.
	drain := duration(t, env, "CONNECTOR_DRAIN_DELAY")
	shutdown := duration(t, env, "CONNECTOR_SHUTDOWN_TIMEOUT")
	longest := duration(t, env, "CONNECTOR_MAX_EXECUTION_TIMEOUT")
	assert.GreaterOrEqual(t, shutdown, longest, "in-flight executions may run to their deadline")
	grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	assert.GreaterOrEqual(t, grace, drain+shutdown+5*time.Second, "terminationGracePeriodSeconds covers drain + shutdown + margin")
	readiness := time.Duration(c.ReadinessProbe.PeriodSeconds*c.ReadinessProbe.FailureThreshold) * time.Second
	assert.Greater(t, drain, readiness, "the drain outlasts the readiness probe noticing it")

	// Egress only to DNS and HTTPS.
	np := r.NetworkPolicies[0]
	assert.ElementsMatch(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}, np.Spec.PolicyTypes)
	var egress []string
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			egress = append(egress, fmt.Sprintf("%s/%s", p.Port.String(), *p.Protocol))
		}
	}
	sort.Strings(egress)
	assert.Equal(t, []string{"443/TCP", "53/TCP", "53/UDP"}, egress)
	for _, rule := range np.Spec.Ingress {
		for _, p := range rule.Ports {
			assert.Equal(t, "http", p.Port.String(), "ingress to the HTTP port only")
		}
	}
	return d, c
}

func TestBaseRendersAndDecodesStrictly(t *testing.T) {
	t.Parallel()
	r := render(t, "base")
	d, c := checkCommon(t, r)
	assert.Equal(t, "profitwell-connector:1.0.0", c.Image)
	assert.GreaterOrEqual(t, *d.Spec.Replicas, int32(2))

	// Engine keys and signing secrets come from the Secret.
	env := envOf(c)
	_, signing := env["CONNECTOR_SIGNING_SECRETS"]
	assert.False(t, signing, "the base runs several replicas without a Redis, so it does not invite signing")
	for name, key := range map[string]string{"CONNECTOR_API_KEYS": "api-keys", "CONNECTOR_CURSOR_KEYS": "cursor-keys"} {
		e := env[name]
		require.NotNil(t, e.ValueFrom, name)
		require.NotNil(t, e.ValueFrom.SecretKeyRef, name)
		assert.Equal(t, "profitwell-connector", e.ValueFrom.SecretKeyRef.Name, name)
		assert.Equal(t, key, e.ValueFrom.SecretKeyRef.Key, name)
		assert.Empty(t, e.Value, "no secret value in the manifests")
	}
	assert.False(t, env["CONNECTOR_API_KEYS"].ValueFrom.SecretKeyRef.Optional != nil && *env["CONNECTOR_API_KEYS"].ValueFrom.SecretKeyRef.Optional,
		"the server refuses to start without engine keys")
	assert.False(t, env["CONNECTOR_CURSOR_KEYS"].ValueFrom.SecretKeyRef.Optional != nil && *env["CONNECTOR_CURSOR_KEYS"].ValueFrom.SecretKeyRef.Optional,
		"replicas without a shared cursor key refuse each other's cursors and states: the key is required")
	_, sandbox := env["CONNECTOR_SANDBOX"]
	assert.False(t, sandbox)

	// The HPA scales the Deployment on CPU.
	require.Len(t, r.HPAs, 1)
	hpa := r.HPAs[0]
	assert.Equal(t, d.Name, hpa.Spec.ScaleTargetRef.Name)
	assert.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind)
	assert.GreaterOrEqual(t, *hpa.Spec.MinReplicas, int32(2))
	require.Len(t, hpa.Spec.Metrics, 1)
	assert.Equal(t, corev1.ResourceCPU, hpa.Spec.Metrics[0].Resource.Name)
	assert.NotNil(t, hpa.Spec.Metrics[0].Resource.Target.AverageUtilization)

	// One pod may go at a time.
	assert.Equal(t, intstr.FromInt32(1), *r.PDBs[0].Spec.MaxUnavailable)
}

func TestSandboxOverlay(t *testing.T) {
	t.Parallel()
	r := render(t, "overlays/sandbox")
	d, c := checkCommon(t, r)
	assert.Equal(t, int32(1), *d.Spec.Replicas)
	assert.Empty(t, r.HPAs, "one replica, no autoscaling")
	assert.True(t, strings.HasSuffix(d.Name, "-sandbox"))
	env := envOf(c)
	assert.Equal(t, "true", env["CONNECTOR_SANDBOX"].Value)
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			assert.Nil(t, e.ValueFrom.SecretKeyRef, "no Secret needed: %s", e.Name)
		}
	}
	assert.Equal(t, "sandbox", d.Spec.Template.Labels["app.kubernetes.io/instance"])
	assert.Equal(t, "sandbox", r.ServiceMonitors[0].Spec.Selector.MatchLabels["app.kubernetes.io/instance"],
		"the ServiceMonitor scrapes the sandbox only")
}

// TestPrometheusRuleMatchesTheRulesFile keeps the operator resource equal to
// the file promtool checks and tests.
func TestPrometheusRuleMatchesTheRulesFile(t *testing.T) {
	t.Parallel()
	r := render(t, "monitoring")
	require.Len(t, r.PrometheusRules, 1)
	raw, err := os.ReadFile("monitoring/connector.rules.yaml")
	require.NoError(t, err)
	var file monitoringv1.PrometheusRuleSpec
	require.NoError(t, decodeStrict(raw, &file))
	require.NotEmpty(t, file.Groups)
	assert.Equal(t, file, r.PrometheusRules[0].Spec)
}

// dockerBuild is the go build line of the Dockerfile's build stage.
var dockerBuild = regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0) go build (.*) -o \S+ (\./cmd/connector)\s*$`)

// TestDockerfileBuildsLikeMakeBuild: the image's binary is built with the
// same flags as `make build`, and runs as distroless nonroot.
func TestDockerfileBuildsLikeMakeBuild(t *testing.T) {
	t.Parallel()
	dockerfile, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	makefile, err := os.ReadFile("../Makefile")
	require.NoError(t, err)

	flags := regexp.MustCompile(`(?m)^BUILD_FLAGS\s*:=\s*(.*)$`).FindSubmatch(makefile)
	require.NotNil(t, flags, "the Makefile defines BUILD_FLAGS")
	build := regexp.MustCompile(`(?m)^build:.*\n\t(.*)$`).FindSubmatch(makefile)
	require.NotNil(t, build)
	assert.Contains(t, string(build[1]), "CGO_ENABLED=0 $(GO) build $(BUILD_FLAGS)")

	m := dockerBuild.FindSubmatch(dockerfile)
	require.NotNil(t, m, "the Dockerfile runs CGO_ENABLED=0 go build <flags> -o <out> ./cmd/connector")
	assert.Equal(t, strings.TrimSpace(string(flags[1])), strings.TrimSpace(string(m[2])))

	text := string(dockerfile)
	assert.GreaterOrEqual(t, strings.Count(text, "\nFROM "), 1, "multi-stage")
	assert.Regexp(t, `(?m)^FROM golang:1\.26\S* AS build$`, text)
	assert.Regexp(t, `(?m)^FROM gcr\.io/distroless/static-debian\d+:nonroot`, text)
	assert.Regexp(t, `(?m)^USER 65532:65532$`, text)
	assert.Regexp(t, `(?m)^EXPOSE 8080$`, text)
	assert.Regexp(t, `(?m)^ENTRYPOINT \["/connector"\]$`, text)
	assert.NotRegexp(t, `(?m)^VOLUME`, text, "nothing is written to disk")

	image := regexp.MustCompile(`(?m)^image:.*\n\t(.*)$`).FindSubmatch(makefile)
	require.NotNil(t, image, "make image exists")
	assert.Contains(t, string(image[1]), "build")
}
