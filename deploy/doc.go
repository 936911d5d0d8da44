// Package deploy holds the connector's Kubernetes manifests (a kustomize
// base and overlays), its Prometheus rules and its Grafana dashboard. It is
// a Go module of its own so that the tests that render and decode the
// manifests do not add Kubernetes to the service's dependencies.
package deploy
