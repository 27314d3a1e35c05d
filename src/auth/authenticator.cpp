#include "auth/authenticator.hpp"

#include <strings.h>

#include "lib/trimmed.hpp"

namespace treasure {

namespace {

template <class Alternative>
Caller as_caller(std::variant<Alternative, Refusal> &&answer)
{
    if (auto *refusal = std::get_if<Refusal>(&answer))
        return *refusal;
    return std::get<Alternative>(std::move(answer));
}

}  // namespace

std::variant<std::string_view, Refusal> bearer_token(std::string_view authorization, std::size_t max_token_bytes)
{
    constexpr std::string_view scheme = "Bearer";
    const std::string_view value = trimmed(authorization);
    if (value.empty())
        return Refusal{RefusalReason::missing};
    if (value.size() > max_token_bytes + scheme.size() + 1)
        return Refusal{RefusalReason::token_too_large};
    if (value.size() <= scheme.size() || ::strncasecmp(value.data(), scheme.data(), scheme.size()) != 0 ||
        value[scheme.size()] != ' ')
        return Refusal{RefusalReason::malformed};
    const std::string_view token = trimmed(value.substr(scheme.size()));
    if (token.empty() || token.find_first_of(" \t") != std::string_view::npos)
        return Refusal{RefusalReason::malformed};
    return token;
}

Authenticator::Authenticator(AuthOptions options, const Clock &clock, const UnixClock &unix_clock)
    : max_token_bytes_(options.jwt_options.max_token_bytes)
{
    const auto check_interval = options.jwt_options.check_interval;
    if (options.jwt)
        jwt_ = std::make_unique<JwtVerifier>(std::move(options.jwt_options), clock, unix_clock);
    if (options.api_key)
        api_keys_ = std::make_unique<ApiKeyStore>(std::move(options.api_keys_path), clock, check_interval);
}

Caller Authenticator::authenticate(const CredentialHeaders &headers)
{
    const bool has_bearer = jwt_ && !trimmed(headers.authorization).empty();
    const std::string_view key = trimmed(headers.api_key);
    const bool has_key = api_keys_ && !key.empty();
    if (has_bearer && has_key)
        return Refusal{RefusalReason::ambiguous};
    if (has_key)
        return as_caller(api_keys_->authenticate(key));
    if (!has_bearer)
        return Refusal{RefusalReason::missing};
    auto token = bearer_token(headers.authorization, max_token_bytes_);
    if (auto *refusal = std::get_if<Refusal>(&token))
        return *refusal;
    return as_caller(jwt_->verify(std::get<std::string_view>(token)));
}

bool Authenticator::reload_if_changed()
{
    const bool jwt = jwt_ && jwt_->reload_if_changed();
    const bool keys = api_keys_ && api_keys_->reload_if_changed();
    return jwt || keys;
}

}  // namespace treasure
