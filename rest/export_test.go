package rest

// RouteInfo describes one legacy route for the black-box tests.
type RouteInfo struct {
	Method, Path string
	Raw          []string // parameters that are not 32-hex ids
	Unsigned     bool
}

// RouteTable is the legacy route table.
func RouteTable() []RouteInfo {
	out := make([]RouteInfo, len(routes))
	for i, r := range routes {
		out[i] = RouteInfo{Method: r.method, Path: r.path, Raw: r.rawParams, Unsigned: r.unsigned}
	}
	return out
}
