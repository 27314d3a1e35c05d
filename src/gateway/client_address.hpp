#pragma once
// Whose request this is, as far as the network can tell: the TCP peer, or, behind a trusted proxy
// (--trusted-proxy CIDR, repeatable, IPv4 and IPv6), the address X-Forwarded-For gives for it.
//
// X-Forwarded-For is a list each proxy appends its own peer to ("client, proxy1, proxy2").  Only the entries our
// own proxies appended can be believed; anything to their left is whatever the client chose to send.  So the
// header is read only when the peer is trusted, from the right, skipping trusted addresses: the first address
// not in a trusted range is the client.  When every entry is trusted the leftmost is taken; an entry that is not
// an address ends the walk at the last trusted hop (a proxy wrote garbage: that proxy is the best we know).
// Addresses are parsed with inet_pton(3) only; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack
// socket reports for an IPv4 peer) counts as the IPv4 address.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace treasure {

struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  // network order; an IPv4 address uses the first 4
    std::size_t size() const { return v6 ? 16 : 4; }
    bool operator==(const IpAddress &other) const { return v6 == other.v6 && bytes == other.bytes; }
};

// "203.0.113.7", "2001:db8::1", "::ffff:192.0.2.1" (becomes IPv4); surrounding spaces and an IPv6 address's
// brackets are allowed; nothing else (no port, no zone).
std::optional<IpAddress> parse_ip_address(std::string_view text);
// inet_ntop(3)'s canonical text.
std::string to_string(const IpAddress &address);

struct Cidr {
    IpAddress network;  // the bits past the prefix are zero
    int prefix_bits = 0;
    bool contains(const IpAddress &address) const;
};

// "10.0.0.0/8", "2001:db8::/32", or a single address ("192.0.2.1" is /32, "::1" is /128).  Throws
// std::invalid_argument for anything else, a prefix past the family's width included.
Cidr parse_cidr(std::string_view text);

class TrustedProxies {
public:
    TrustedProxies() = default;
    explicit TrustedProxies(std::vector<Cidr> ranges) : ranges_(std::move(ranges)) {}

    bool trusts(const IpAddress &address) const;

    // The client's address by the rule above; forwarded_for is X-Forwarded-For (several headers joined with
    // ", "), "" when absent.  A peer that is not an address (a Unix socket, say) comes back as it is.
    std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

private:
    std::vector<Cidr> ranges_;
};

// The text the per-client limit keys a remote address by: an IPv4 address as it is, an IPv6 address by its /64
// ("2001:db8:1:2::/64").  One IPv6 subscriber is normally given a whole /64 (RFC 6177, and SLAAC needs one per
// link), and privacy addresses (RFC 8981) change its low 64 bits at will: keyed by the full address, one device
// could mint 2^64 fresh buckets, each with a full burst.
std::string client_limit_key_text(std::string_view client_address);

}  // namespace treasure
