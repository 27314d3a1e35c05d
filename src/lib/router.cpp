#include "lib/router.hpp"

#include <chrono>

#include "lib/claim_error.hpp"

namespace treasure {

Router::Router(ClaimPath &atomic, ClaimPath *fallback, FeatureFlagProvider &flags, CircuitBreaker &breaker,
               ClaimMetrics *metrics)
    : atomic_(atomic), fallback_(fallback), flags_(flags), breaker_(breaker), metrics_(metrics)
{
    if (metrics_) {
        metrics_->set_circuit_state(breaker_.state());
        breaker_.on_transition([metrics = metrics_](CircuitState, CircuitState to) {
            metrics->set_circuit_state(to);
            metrics->count_circuit_transition(to);
        });
    }
}

ClaimResult Router::claim_atomic(const ValidClaimRequest &request, const CircuitBreaker::Ticket &ticket)
{
    try {
        ClaimResult result = atomic_.claim(request);
        breaker_.record(ticket, false);
        return result;
    } catch (const ClaimError &error) {
        breaker_.record(ticket, is_server_fault(error.kind()));
        throw;
    } catch (const std::exception &error) {
        breaker_.record(ticket, true);
        throw ClaimError(ClaimErrorKind::internal, std::string("atomic path failed: ") + error.what());
    }
}

ClaimResult Router::claim(const ValidClaimRequest &request)
{
    const auto started = std::chrono::steady_clock::now();
    PathLabel path = PathLabel::none;
    auto observe = [&](std::string_view status) {
        if (!metrics_)
            return;
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
        metrics_->observe_claim(path, status, elapsed.count());
    };
    try {
        const auto flag =
            flags_.resolve_boolean(atomic_claims_flag, false, claim_context(request->player_id, request->session_id));
        if (metrics_)
            metrics_->count_flag_evaluation(atomic_claims_flag, flag.variant.empty() ? "default" : flag.variant);

        ClaimResult result;
        if (flag.value) {
            const auto ticket = breaker_.allow();
            if (ticket.allowed) {
                path = PathLabel::atomic;
                result = claim_atomic(request, ticket);
                observe(to_string(result.status));
                return result;
            }
        }
        ClaimPath *fallback = fallback_.load();
        if (!fallback)
            throw ClaimError(ClaimErrorKind::no_path,
                             flag.value ? "the atomic path's circuit breaker is open and no fallback (saga) path is "
                                          "configured; retry later with the same request_id"
                                        : "flag atomic_claims routes this request to the saga path, which is not "
                                          "configured in this gateway");
        path = PathLabel::saga;
        result = fallback->claim(request);
        observe(to_string(result.status));
        return result;
    } catch (const ClaimError &error) {
        observe(to_string(error.kind()));
        throw;
    } catch (const std::exception &error) {
        observe("internal");
        throw ClaimError(ClaimErrorKind::internal, error.what());
    }
}

}  // namespace treasure
