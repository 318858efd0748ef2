// Command validate renders Alto's kustomizations (infra/k8s/base and every infra/k8s/overlays/*)
// with kustomize's own library and decodes each rendered object strictly into its Kubernetes API
// type (k8s.io/api) or KEDA type (github.com/kedacore/keda/v2/apis): an unknown or misspelt
// field, a wrong type or a malformed quantity fails the run. It then checks what a cluster would
// only find out at run time: selectors that match nothing, probes on ports no container opens,
// ScaledObjects aimed at missing Deployments or with trigger metadata KEDA does not read, and
// names, labels, port and env names the API server would refuse.
//
// It writes each rendering as JSON (<out>/<name>.json) for the tests that hold the manifests
// against the code (test/k8s-manifests.test.ts). It is not a cluster: admission webhooks,
// quotas and image pulls are not checked.
//
//	go run . -root ../k8s -out ../../.alto/k8s-rendered
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	root := flag.String("root", "infra/k8s", "folder holding base/ and overlays/*")
	out := flag.String("out", "", "folder to write each rendering to as <name>.json (none when empty)")
	flag.Parse()

	targets, err := kustomizations(*root)
	if err != nil {
		fail(err)
	}
	problems := 0
	for _, t := range targets {
		objects, errs := renderAndCheck(t.dir)
		for _, e := range errs {
			fmt.Fprintf(os.Stderr, "%s: %v\n", t.name, e)
		}
		problems += len(errs)
		if len(errs) == 0 {
			fmt.Printf("%s: %d objects, all valid\n", t.name, len(objects))
		}
		if *out != "" && objects != nil {
			if err := writeJSON(filepath.Join(*out, t.name+".json"), objects); err != nil {
				fail(err)
			}
		}
	}
	if problems > 0 {
		fail(fmt.Errorf("%d problem(s) in %d kustomization(s)", problems, len(targets)))
	}
}

type target struct{ name, dir string }

// kustomizations lists base/ and each overlays/<name>/ holding a kustomization.yaml.
func kustomizations(root string) ([]target, error) {
	out := []target{{"base", filepath.Join(root, "base")}}
	entries, err := os.ReadDir(filepath.Join(root, "overlays"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		dir := filepath.Join(root, "overlays", e.Name())
		if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); e.IsDir() && err == nil {
			out = append(out, target{e.Name(), dir})
		}
	}
	sort.Slice(out[1:], func(i, j int) bool { return out[1+i].name < out[1+j].name })
	return out, nil
}

// renderAndCheck renders one kustomization, decodes every object strictly and cross-checks them.
func renderAndCheck(dir string) ([]map[string]any, []error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, []error{fmt.Errorf("kustomize: %w", err)}
	}
	var errs []error
	var objects []map[string]any
	decoded := &rendering{}
	for _, r := range resMap.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		id := fmt.Sprintf("%s %s", r.GetKind(), r.GetName())
		// Everything but the Namespace itself goes in one namespace, so the ScaledObjects'
		// Service URLs and the objects' references resolve there.
		if r.GetKind() != "Namespace" && r.GetNamespace() == "" {
			errs = append(errs, fmt.Errorf("%s: no metadata.namespace (set `namespace:` in its kustomization)", id))
		}
		if err := decoded.add(r.GetApiVersion(), r.GetKind(), y); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
		for _, msg := range validation.IsDNS1123Subdomain(r.GetName()) {
			errs = append(errs, fmt.Errorf("%s: name: %s", id, msg))
		}
		errs = append(errs, labelErrors(id, r.GetLabels())...)
		m, err := r.Map()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		objects = append(objects, m)
	}
	errs = append(errs, decoded.crossCheck()...)
	return objects, errs
}

func writeJSON(path string, objects []map[string]any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(objects, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "validate: %s\n", strings.TrimSpace(err.Error()))
	os.Exit(1)
}
