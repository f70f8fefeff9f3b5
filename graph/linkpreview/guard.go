package linkpreview

import (
	"fmt"
	"net/netip"

	"code.dny.dev/ssrf"
)

// guardian judges addresses with code.dny.dev/ssrf, which follows the IANA
// special-purpose address registries: every IPv4 range that is not globally
// reachable (private, loopback, link-local and cloud metadata at
// 169.254.169.254, shared/CGNAT space with Aliyun's metadata service at
// 100.100.100.200, documentation, benchmarking, reserved, multicast), and in
// IPv6 anything outside global unicast 2000::/3 (so ::/96 IPv4-compatible,
// 64:ff9b::/96 NAT64, ULA fc00::/7 with AWS's fd00:ec2::254, link-local,
// multicast) plus the special ranges inside it (2001::/23 IETF assignments,
// 2001:db8::/32, 2002::/16 6to4, 3fff::/20, ...). Ports are not limited: a
// shared link may name any port.
var guardian = ssrf.New(ssrf.WithAnyPort())

// Public reports whether a is an address a link preview may connect to.
// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it maps,
// which is what a socket reaches; scoped (zoned) addresses are never public.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.Zone() == "" && guardian.SafeAddr(a) == nil
}

// PublicOnly is the default connection policy: public addresses, any port.
func PublicOnly(ap netip.AddrPort) bool { return Public(ap.Addr()) }

// RefusedError is a connection the policy did not allow.
type RefusedError struct{ Addr string }

// Error names the refused address.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("link preview: refusing to connect to %s (not a public address)", e.Addr)
}
