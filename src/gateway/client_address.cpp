#include "gateway/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "lib/trimmed.hpp"

namespace treasure {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text)
{
    text = trimmed(text);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN)
        return std::nullopt;
    const std::string zero_terminated(text);
    IpAddress address;
    if (::inet_pton(AF_INET, zero_terminated.c_str(), address.bytes.data()) == 1)
        return address;
    if (::inet_pton(AF_INET6, zero_terminated.c_str(), address.bytes.data()) != 1)
        return std::nullopt;
    address.v6 = true;
    if (std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), address.bytes.begin())) {
        IpAddress v4;
        std::copy(address.bytes.begin() + 12, address.bytes.end(), v4.bytes.begin());
        return v4;
    }
    return address;
}

std::string to_string(const IpAddress &address)
{
    char text[INET6_ADDRSTRLEN] = {};
    if (::inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof text) == nullptr)
        return {};
    return text;
}

bool Cidr::contains(const IpAddress &address) const
{
    if (address.v6 != network.v6)
        return false;
    const int whole_bytes = prefix_bits / 8;
    if (!std::equal(network.bytes.begin(), network.bytes.begin() + whole_bytes, address.bytes.begin()))
        return false;
    const int rest = prefix_bits % 8;
    if (rest == 0)
        return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (address.bytes[whole_bytes] & mask) == network.bytes[whole_bytes];
}

Cidr parse_cidr(std::string_view text)
{
    const std::string shown(text);
    const auto slash = text.find('/');
    const auto address = parse_ip_address(text.substr(0, slash));
    if (!address)
        throw std::invalid_argument("not an IPv4 or IPv6 range: '" + shown + "'");
    const int width = static_cast<int>(address->size() * 8);
    Cidr cidr{*address, width};
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos)
            throw std::invalid_argument("bad prefix length in '" + shown + "'");
        cidr.prefix_bits = std::stoi(std::string(digits));
        if (cidr.prefix_bits > width)
            throw std::invalid_argument("prefix longer than the address in '" + shown + "'");
    }
    for (int bit = cidr.prefix_bits; bit < width; ++bit)
        cidr.network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
    return cidr;
}

bool TrustedProxies::trusts(const IpAddress &address) const
{
    return std::any_of(ranges_.begin(), ranges_.end(), [&](const Cidr &range) { return range.contains(address); });
}

std::string TrustedProxies::client_address(std::string_view peer, std::string_view forwarded_for) const
{
    const auto peer_address = parse_ip_address(peer);
    if (!peer_address)
        return std::string(peer);
    IpAddress client = *peer_address;
    if (!trusts(client))
        return to_string(client);
    while (!forwarded_for.empty()) {
        const auto comma = forwarded_for.rfind(',');
        const std::string_view entry =
            comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
        forwarded_for = comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
        if (trimmed(entry).empty())
            continue;
        const auto hop = parse_ip_address(entry);
        if (!hop)
            break;
        client = *hop;
        if (!trusts(client))
            break;
    }
    return to_string(client);
}

std::string client_limit_key_text(std::string_view client_address)
{
    auto address = parse_ip_address(client_address);
    if (!address || !address->v6)
        return std::string(client_address);
    std::fill(address->bytes.begin() + 8, address->bytes.end(), 0);
    return to_string(*address) + "/64";
}

}  // namespace treasure
