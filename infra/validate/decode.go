// Strict decoding of rendered objects into their API types.
package main

import (
	"errors"
	"fmt"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// rendering holds one kustomization's objects, typed.
type rendering struct {
	deployments  []appsv1.Deployment
	statefulSets []appsv1.StatefulSet
	services     []corev1.Service
	configMaps   []corev1.ConfigMap
	pdbs         []policyv1.PodDisruptionBudget
	scaledObjs   []kedav1alpha1.ScaledObject
	triggerAuths []kedav1alpha1.TriggerAuthentication
}

// strict decodes YAML into out, refusing duplicate keys (sigs.k8s.io/yaml's strict YAML to JSON)
// and unknown fields, case-insensitive near misses included (sigs.k8s.io/json's strict decoder,
// the one the API server uses for fieldValidation=Strict), each named by its path.
func strict[T any](y []byte, out *T) error {
	_, err := decode(y, out)
	return err
}

// decode is strict, and also says whether out holds the object anyway (only unknown fields were
// wrong), so the cross-checks can still look at it.
func decode[T any](y []byte, out *T) (decoded bool, err error) {
	j, err := yaml.YAMLToJSONStrict(y)
	if err != nil {
		return false, err
	}
	strictErrs, err := kjson.UnmarshalStrict(j, out)
	if err != nil {
		return false, err
	}
	return true, errors.Join(strictErrs...)
}

// add decodes one object by its apiVersion and kind; a kind Alto does not ship is an error, so a
// new kind cannot slip past the validator undecoded.
func (r *rendering) add(apiVersion, kind string, y []byte) error {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return appendStrict(y, &r.deployments)
	case "apps/v1/StatefulSet":
		return appendStrict(y, &r.statefulSets)
	case "v1/Service":
		return appendStrict(y, &r.services)
	case "v1/ConfigMap":
		return appendStrict(y, &r.configMaps)
	case "v1/Namespace":
		var ns corev1.Namespace
		return strict(y, &ns)
	case "v1/ServiceAccount":
		var sa corev1.ServiceAccount
		return strict(y, &sa)
	case "policy/v1/PodDisruptionBudget":
		return appendStrict(y, &r.pdbs)
	case "keda.sh/v1alpha1/ScaledObject":
		return appendStrict(y, &r.scaledObjs)
	case "keda.sh/v1alpha1/TriggerAuthentication":
		return appendStrict(y, &r.triggerAuths)
	}
	return fmt.Errorf("apiVersion %q kind %q: not a kind this validator knows; add it to decode.go", apiVersion, kind)
}

func appendStrict[T any](y []byte, list *[]T) error {
	var v T
	decoded, err := decode(y, &v)
	if decoded {
		*list = append(*list, v)
	}
	return err
}
