package linkpreview

import (
	"fmt"
	"net/netip"
)

// blocked are ranges a fetch must never reach besides what netip classifies
// as loopback, private, link-local, multicast or unspecified: shared and
// reserved IPv4 space (Aliyun's metadata service 100.100.100.200 lives in
// 100.64.0.0/10), documentation and benchmark ranges, and the cloud metadata
// addresses spelled out for clarity.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network"
		"100.64.0.0/10",      // shared address space (carrier NAT, Aliyun metadata)
		"169.254.169.254/32", // AWS/GCP/Azure/Aliyun-compatible metadata
		"192.0.0.0/24",       // IETF protocol assignments
		"192.0.2.0/24",       // TEST-NET-1
		"198.18.0.0/15",      // benchmarking
		"198.51.100.0/24",    // TEST-NET-2
		"203.0.113.0/24",     // TEST-NET-3
		"240.0.0.0/4",        // reserved, incl. broadcast
		"fd00:ec2::254/128",  // AWS metadata over IPv6
		"100::/64",           // discard-only
		"2001:db8::/32",      // documentation
		"fec0::/10",          // deprecated site-local
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Public reports whether a is an address a link preview may connect to: a
// global unicast address outside every private, local and reserved range.
// IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4) are judged as IPv4.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.Zone() != "" || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a.IsMulticast() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return Public(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixToFour.Contains(a):
			return Public(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	return true
}

// PublicOnly is the default connection policy: public addresses, any port.
func PublicOnly(ap netip.AddrPort) bool { return Public(ap.Addr()) }

// RefusedError is a connection the policy did not allow.
type RefusedError struct{ Addr string }

// Error names the refused address.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("link preview: refusing to connect to %s (not a public address)", e.Addr)
}
