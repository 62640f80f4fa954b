// Reference answers for src/core/k8s/selector.differential.test.ts: reads one JSON case per line on stdin,
// {"selector": <metav1.LabelSelector JSON or null>, "labels": {...}}, and prints one line per case:
// "invalid" when ValidateLabelSelector or LabelSelectorAsSelector rejects the selector, else "true"/"false" for
// selector.Matches(labels). One process answers many cases.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type testCase struct {
	Selector *metav1.LabelSelector `json:"selector"`
	Labels   map[string]string     `json:"labels"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var c testCase
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			fmt.Fprintf(out, "bad-case %v\n", err)
			continue
		}
		if errs := metav1validation.ValidateLabelSelector(c.Selector, metav1validation.LabelSelectorValidationOptions{}, field.NewPath("selector")); len(errs) > 0 {
			fmt.Fprintln(out, "invalid")
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.Selector)
		if err != nil {
			fmt.Fprintln(out, "invalid")
			continue
		}
		fmt.Fprintln(out, sel.Matches(labels.Set(c.Labels)))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
