package health

// The paths the infrastructure polls: the liveness and readiness probes and
// the Prometheus scrape. They are the one list the server keeps of them:
// the router mounts them ahead of every middleware, the edge lets them
// through without rate limits (an orchestrator polling them must never be
// refused) and tracing makes no span for them.
const (
	LivePath    = "/livez"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
)

// Paths returns LivePath, ReadyPath and MetricsPath.
func Paths() []string { return []string{LivePath, ReadyPath, MetricsPath} }

// IsProbe reports whether path (a request's URL path, exactly) is one of
// Paths.
func IsProbe(path string) bool {
	switch path {
	case LivePath, ReadyPath, MetricsPath:
		return true
	}
	return false
}
