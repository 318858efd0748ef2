// Checks across a rendering's objects: what a cluster would accept but then never make work.
package main

import (
	"fmt"
	"sort"
	"strings"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The trigger metadata KEDA's metrics-api scaler reads (pkg/scalers/metrics_api_scaler.go and
// pkg/scalers/authentication, `keda:"name=..., order=triggerMetadata"` tags, v2.21.0). KEDA
// ignores any other key, so a misspelt one would silently fall back to a default.
var metricsAPIMetadata = set("targetValue", "activationTargetValue", "url", "format", "valueLocation", "unsafeSsl",
	"aggregateFromKubeServiceEndpoints", "aggregationType", "timeout", "authMode", "authModes", "apiKey", "method",
	"keyParamName")

// The authParams of the metrics-api scaler's auth modes (same source).
var metricsAPIAuthParams = set("bearerToken", "token", "username", "password", "cert", "key", "ca", "apiKey",
	"method", "keyParamName", "customAuthHeader", "customAuthValue", "authMode", "authModes")

// The CRD's enum for spec.fallback.behavior (empty: its default, static).
var fallbackBehaviors = set("", kedav1alpha1.FallbackBehaviorStatic, kedav1alpha1.FallbackBehaviorCurrentReplicas,
	kedav1alpha1.FallbackBehaviorCurrentReplicasIfHigher, kedav1alpha1.FallbackBehaviorCurrentReplicasIfLower,
	kedav1alpha1.FallbackBehaviorScalingModifiers)

// labelErrors checks label keys (qualified names) and values as the API server does.
func labelErrors(where string, labels map[string]string) []error {
	var errs []error
	for k, v := range labels {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, fmt.Errorf("%s: label key %q: %s", where, k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, fmt.Errorf("%s: label %s value %q: %s", where, k, v, msg))
		}
	}
	return errs
}

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// pods is every pod template of the rendering, by its owner.
type podTemplate struct {
	owner string
	spec  corev1.PodTemplateSpec
}

func (r *rendering) pods() []podTemplate {
	var out []podTemplate
	for _, d := range r.deployments {
		out = append(out, podTemplate{"Deployment " + d.Name, d.Spec.Template})
	}
	for _, s := range r.statefulSets {
		out = append(out, podTemplate{"StatefulSet " + s.Name, s.Spec.Template})
	}
	return out
}

func (r *rendering) crossCheck() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	configMaps := map[string]bool{}
	for _, c := range r.configMaps {
		configMaps[c.Name] = true
	}

	for _, d := range r.deployments {
		if d.Spec.Selector == nil || !labels.SelectorFromSet(d.Spec.Selector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
			add("Deployment %s: spec.selector does not match its pod template's labels", d.Name)
		}
	}
	for _, s := range r.statefulSets {
		if s.Spec.Selector == nil || !labels.SelectorFromSet(s.Spec.Selector.MatchLabels).Matches(labels.Set(s.Spec.Template.Labels)) {
			add("StatefulSet %s: spec.selector does not match its pod template's labels", s.Name)
		}
	}

	for _, p := range r.pods() {
		errs = append(errs, labelErrors(p.owner+" pod template", p.spec.Labels)...)
		for _, c := range p.spec.Spec.Containers {
			where := fmt.Sprintf("%s container %s", p.owner, c.Name)
			// What the API server's validation would refuse: names it turns into DNS labels,
			// port names (IANA service names, at most 15 characters), env variable names.
			for _, msg := range validation.IsDNS1123Label(c.Name) {
				add("%s: container name: %s", where, msg)
			}
			for _, port := range c.Ports {
				if port.Name != "" {
					for _, msg := range validation.IsValidPortName(port.Name) {
						add("%s: port name %q: %s", where, port.Name, msg)
					}
				}
			}
			for _, e := range c.Env {
				for _, msg := range validation.IsEnvVarName(e.Name) {
					add("%s: env name %q: %s", where, e.Name, msg)
				}
			}
			probes := []struct {
				name  string
				probe *corev1.Probe
			}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
			for _, pr := range probes {
				if pr.probe != nil && pr.probe.HTTPGet != nil && !hasPort(c, pr.probe.HTTPGet.Port) {
					add("%s: %s.httpGet.port %s is not one of the container's ports", where, pr.name, pr.probe.HTTPGet.Port.String())
				}
			}
			for _, from := range c.EnvFrom {
				if from.ConfigMapRef != nil && !configMaps[from.ConfigMapRef.Name] {
					add("%s: envFrom names ConfigMap %s, which this rendering lacks", where, from.ConfigMapRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && !configMaps[e.ValueFrom.ConfigMapKeyRef.Name] {
					add("%s: env %s names ConfigMap %s, which this rendering lacks", where, e.Name, e.ValueFrom.ConfigMapKeyRef.Name)
				}
			}
		}
	}

	for _, svc := range r.services {
		for _, msg := range validation.IsDNS1035Label(svc.Name) {
			add("Service %s: name: %s", svc.Name, msg)
		}
		matched := r.selecting(svc.Spec.Selector)
		if len(matched) == 0 {
			add("Service %s: selector %v matches no pod template", svc.Name, svc.Spec.Selector)
		}
		for _, port := range svc.Spec.Ports {
			for _, p := range matched {
				if !podHasPort(p.spec.Spec, port.TargetPort, port.Port) {
					add("Service %s: targetPort %s is not a port of %s", svc.Name, port.TargetPort.String(), p.owner)
				}
			}
		}
	}

	for _, pdb := range r.pdbs {
		if pdb.Spec.Selector == nil || len(r.selecting(pdb.Spec.Selector.MatchLabels)) == 0 {
			add("PodDisruptionBudget %s: selector matches no pod template", pdb.Name)
		}
	}

	auths := map[string]kedav1alpha1.TriggerAuthentication{}
	for _, a := range r.triggerAuths {
		auths[a.Name] = a
		for _, s := range a.Spec.SecretTargetRef {
			if !metricsAPIAuthParams[s.Parameter] {
				add("TriggerAuthentication %s: secretTargetRef parameter %q is none the metrics-api scaler reads", a.Name, s.Parameter)
			}
		}
	}
	deployments := map[string]bool{}
	for _, d := range r.deployments {
		deployments[d.Name] = true
	}
	for i := range r.scaledObjs {
		so := &r.scaledObjs[i]
		where := "ScaledObject " + so.Name
		if so.Spec.ScaleTargetRef == nil {
			add("%s: spec.scaleTargetRef is required", where)
		} else if k := so.Spec.ScaleTargetRef.Kind; (k == "" || k == "Deployment") && !deployments[so.Spec.ScaleTargetRef.Name] {
			add("%s: scaleTargetRef names Deployment %s, which this rendering lacks", where, so.Spec.ScaleTargetRef.Name)
		}
		if err := kedav1alpha1.CheckReplicaCountBoundsAreValid(so); err != nil {
			add("%s: %v", where, err)
		}
		if err := kedav1alpha1.CheckFallbackValid(so); err != nil {
			add("%s: %v", where, err)
		}
		if f := so.Spec.Fallback; f != nil && !fallbackBehaviors[f.Behavior] {
			add("%s: fallback.behavior %q: not one of KEDA's (static, currentReplicas, currentReplicasIfHigher, currentReplicasIfLower, scalingModifiers)", where, f.Behavior)
		}
		if err := kedav1alpha1.ValidateTriggers(so.Spec.Triggers); err != nil {
			add("%s: %v", where, err)
		}
		for _, t := range so.Spec.Triggers {
			if t.Type == "metrics-api" {
				var unknown []string
				for k := range t.Metadata {
					if !metricsAPIMetadata[k] {
						unknown = append(unknown, k)
					}
				}
				sort.Strings(unknown)
				if len(unknown) > 0 {
					add("%s: metrics-api trigger metadata %s: keys KEDA does not read", where, strings.Join(unknown, ", "))
				}
				for _, k := range []string{"url", "valueLocation"} {
					if t.Metadata[k] == "" {
						add("%s: metrics-api trigger needs metadata.%s", where, k)
					}
				}
			}
			if t.AuthenticationRef != nil {
				if _, ok := auths[t.AuthenticationRef.Name]; !ok && t.AuthenticationRef.Kind != "ClusterTriggerAuthentication" {
					add("%s: authenticationRef names TriggerAuthentication %s, which this rendering lacks", where, t.AuthenticationRef.Name)
				}
			}
		}
	}
	return errs
}

// selecting is every pod template whose labels a (non-empty) selector matches.
func (r *rendering) selecting(selector map[string]string) []podTemplate {
	if len(selector) == 0 {
		return nil
	}
	var out []podTemplate
	for _, p := range r.pods() {
		if labels.SelectorFromSet(selector).Matches(labels.Set(p.spec.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

func hasPort(c corev1.Container, port intstr.IntOrString) bool {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

func podHasPort(spec corev1.PodSpec, target intstr.IntOrString, servicePort int32) bool {
	if target.Type == intstr.Int && target.IntVal == 0 {
		target = intstr.FromInt32(servicePort) // an unset targetPort means the Service's port
	}
	for _, c := range spec.Containers {
		if hasPort(c, target) {
			return true
		}
	}
	return false
}
