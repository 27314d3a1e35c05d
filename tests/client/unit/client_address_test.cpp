// The client's address behind --trusted-proxy, and the key the per-client limit uses for it.
#include "gateway/client_address.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

namespace treasure {
namespace {

TrustedProxies proxies(std::initializer_list<const char *> ranges)
{
    std::vector<Cidr> parsed;
    for (const char *range : ranges)
        parsed.push_back(parse_cidr(range));
    return TrustedProxies(std::move(parsed));
}

TEST(ClientAddressTest, ParsesAddressesWithInetPtonOnly)
{
    EXPECT_EQ(to_string(*parse_ip_address(" 203.0.113.7 ")), "203.0.113.7");
    EXPECT_EQ(to_string(*parse_ip_address("2001:DB8:0:0::1")), "2001:db8::1");
    EXPECT_EQ(to_string(*parse_ip_address("[2001:db8::1]")), "2001:db8::1");
    const auto mapped = parse_ip_address("::ffff:192.0.2.1");
    ASSERT_TRUE(mapped);
    EXPECT_FALSE(mapped->v6);
    EXPECT_EQ(to_string(*mapped), "192.0.2.1");
    for (const char *bad : {"", "192.0.2", "192.0.2.1:80", "2001:db8::1%eth0", "example.com", "1.2.3.4.5"})
        EXPECT_FALSE(parse_ip_address(bad)) << bad;
}

TEST(ClientAddressTest, CidrsMatchByPrefixInEitherFamily)
{
    const Cidr v4 = parse_cidr("10.1.2.3/8");
    EXPECT_EQ(to_string(v4.network), "10.0.0.0");
    EXPECT_TRUE(v4.contains(*parse_ip_address("10.255.0.1")));
    EXPECT_FALSE(v4.contains(*parse_ip_address("11.0.0.1")));
    EXPECT_FALSE(v4.contains(*parse_ip_address("::ffff:11.0.0.1")));
    const Cidr odd = parse_cidr("192.168.4.0/22");
    EXPECT_TRUE(odd.contains(*parse_ip_address("192.168.7.255")));
    EXPECT_FALSE(odd.contains(*parse_ip_address("192.168.8.0")));
    const Cidr v6 = parse_cidr("2001:db8:abcd::/48");
    EXPECT_TRUE(v6.contains(*parse_ip_address("2001:db8:abcd:1::5")));
    EXPECT_FALSE(v6.contains(*parse_ip_address("2001:db8:abce::5")));
    EXPECT_FALSE(v6.contains(*parse_ip_address("10.0.0.1")));
    EXPECT_TRUE(parse_cidr("192.0.2.1").contains(*parse_ip_address("192.0.2.1")));
    EXPECT_FALSE(parse_cidr("192.0.2.1").contains(*parse_ip_address("192.0.2.2")));
    EXPECT_TRUE(parse_cidr("0.0.0.0/0").contains(*parse_ip_address("198.51.100.1")));
    for (const char *bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "ten/8", "/8"})
        EXPECT_THROW(parse_cidr(bad), std::invalid_argument) << bad;
}

TEST(ClientAddressTest, ForwardedForIsIgnoredFromAnUntrustedPeer)
{
    const auto trusted = proxies({"10.0.0.0/8"});
    EXPECT_EQ(trusted.client_address("203.0.113.9", "198.51.100.1"), "203.0.113.9");
    EXPECT_EQ(TrustedProxies().client_address("10.0.0.1", "198.51.100.1"), "10.0.0.1");
}

TEST(ClientAddressTest, TakesTheRightmostUntrustedHopFromATrustedPeer)
{
    const auto trusted = proxies({"10.0.0.0/8", "fd00::/8"});
    // The client prepended a spoofed address; our proxy appended the real one.
    EXPECT_EQ(trusted.client_address("10.0.0.1", "1.1.1.1, 198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(trusted.client_address("10.0.0.1", "1.1.1.1, 198.51.100.7, 10.2.3.4"), "198.51.100.7");
    EXPECT_EQ(trusted.client_address("fd00::1", "2001:db8::7, fd00::2"), "2001:db8::7");
    EXPECT_EQ(trusted.client_address("::ffff:10.0.0.1", "198.51.100.7"), "198.51.100.7");
    // Every hop trusted: the leftmost; garbage written by a proxy: the last trusted hop.
    EXPECT_EQ(trusted.client_address("10.0.0.1", "10.9.9.9, 10.0.0.2"), "10.9.9.9");
    EXPECT_EQ(trusted.client_address("10.0.0.1", "198.51.100.7, not-an-address, 10.0.0.3"), "10.0.0.3");
    EXPECT_EQ(trusted.client_address("10.0.0.1", ""), "10.0.0.1");
    EXPECT_EQ(trusted.client_address("10.0.0.1", " , "), "10.0.0.1");
}

TEST(ClientAddressTest, IPv6ClientsAreLimitedByTheirSlash64)
{
    EXPECT_EQ(client_limit_key_text("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    EXPECT_EQ(client_limit_key_text("2001:db8:1:2::9"), client_limit_key_text("2001:db8:1:2:ffff::1"));
    EXPECT_NE(client_limit_key_text("2001:db8:1:2::9"), client_limit_key_text("2001:db8:1:3::9"));
    EXPECT_EQ(client_limit_key_text("203.0.113.7"), "203.0.113.7");
}

}  // namespace
}  // namespace treasure
