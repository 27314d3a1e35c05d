#include "auth/caller.hpp"

#include <algorithm>

namespace treasure {

bool GameServer::has_scope(std::string_view scope) const
{
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string_view refusal_reason_name(RefusalReason reason)
{
    switch (reason) {
    case RefusalReason::missing: return "missing";
    case RefusalReason::ambiguous: return "ambiguous";
    case RefusalReason::malformed: return "malformed";
    case RefusalReason::token_too_large: return "token_too_large";
    case RefusalReason::alg_not_allowed: return "alg_not_allowed";
    case RefusalReason::unknown_key: return "unknown_key";
    case RefusalReason::bad_signature: return "bad_signature";
    case RefusalReason::expired: return "expired";
    case RefusalReason::not_yet_valid: return "not_yet_valid";
    case RefusalReason::wrong_issuer: return "wrong_issuer";
    case RefusalReason::wrong_audience: return "wrong_audience";
    case RefusalReason::invalid_player: return "invalid_player";
    }
    return "malformed";
}

}  // namespace treasure
