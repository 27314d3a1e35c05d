#include "auth/jwt_verifier.hpp"

#include "auth/jose.hpp"

#include "auth/compact_jws.hpp"

namespace treasure {

namespace {

std::optional<std::string_view> header_string(const json_t *header, const char *name)
{
    const json_t *value = json_object_get(header, name);
    if (!json_is_string(value))
        return std::nullopt;
    return std::string_view(json_string_value(value), json_string_length(value));
}

}  // namespace

JwtVerifier::JwtVerifier(JwtOptions options, const Clock &clock, const UnixClock &unix_clock)
    : options_(std::move(options)), unix_clock_(unix_clock),
      jwks_(options_.jwks_path, "JWKS", parse_jwks_file, clock, options_.check_interval),
      hs256_secret_(options_.hs256_secret_path.empty() ? nullptr
                                                       : std::make_unique<ReloadingFile<VerificationKey>>(
                                                             options_.hs256_secret_path, "HS256 secret",
                                                             parse_hs256_secret_file, clock, options_.check_interval)),
      cache_(options_.cache_capacity)
{}

bool JwtVerifier::reload_if_changed()
{
    const bool jwks = jwks_.reload_if_changed();
    const bool secret = hs256_secret_ && hs256_secret_->reload_if_changed();
    return jwks || secret;
}

std::variant<Player, Refusal> JwtVerifier::verify(std::string_view token)
{
    if (token.size() > options_.max_token_bytes)
        return Refusal{RefusalReason::token_too_large};
    const auto jwks = jwks_.current();
    const auto secret = hs256_secret_ ? hs256_secret_->current() : nullptr;
    // Both versions only grow, so their sum changes at every reload of either file.
    const std::uint64_t generation = jwks->version + (secret ? secret->version : 0);
    const std::int64_t now = unix_clock_.now_seconds();
    const Sha256Digest digest = sha256(token);
    if (const auto cached = cache_.find(digest, generation)) {
        if (jwt_expired(cached->expires_at, options_.claims.leeway_seconds, now))
            return Refusal{RefusalReason::expired};
        return Player{cached->player_id};
    }
    const auto outcome = verify_uncached(token, jwks->contents, secret ? &secret->contents : nullptr, now);
    if (const auto *refusal = std::get_if<RefusalReason>(&outcome))
        return Refusal{*refusal};
    const auto &claims = std::get<VerifiedClaims>(outcome);
    cache_.insert(digest, generation, claims);
    return Player{claims.player_id};
}

std::variant<VerifiedClaims, RefusalReason> JwtVerifier::verify_uncached(std::string_view token, const JwksKeys &jwks,
                                                                         const VerificationKey *hs256_secret,
                                                                         std::int64_t now_seconds)
{
    const auto jws = parse_compact_jws(token);
    if (!jws)
        return RefusalReason::malformed;
    const json_t *header = jws->header.get();
    const auto alg_name = header_string(header, "alg");
    // RFC 7515 §4.1.11: extensions the recipient does not understand must be refused; this one knows none.
    if (!alg_name || json_object_get(header, "crit") != nullptr)
        return RefusalReason::malformed;
    const auto alg = jws_alg_named(*alg_name);
    if (!alg || (*alg == JwsAlg::hs256 && hs256_secret == nullptr))
        return RefusalReason::alg_not_allowed;

    const VerificationKey *key = hs256_secret;
    if (*alg != JwsAlg::hs256) {
        const auto kid = header_string(header, "kid");
        const auto found = kid ? jwks.by_kid.find(*kid) : jwks.by_kid.end();
        if (found == jwks.by_kid.end())
            return RefusalReason::unknown_key;
        key = &found->second;
    }
    if (key->alg != *alg)
        return RefusalReason::alg_not_allowed;
    if (!jose_jws_ver(quiet_jose_cfg(), jws->flattened.get(), nullptr, key->jwk.get(), false))
        return RefusalReason::bad_signature;
    return check_jwt_claims(jws->claims.get(), options_.claims, now_seconds);
}

}  // namespace treasure
