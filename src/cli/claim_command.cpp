#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "auth/client_credentials.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/http_claim_path.hpp"
#include "lib/analytics_json.hpp"
#include "lib/claim_error.hpp"
#include "lib/client.hpp"
#include "lib/uuid.hpp"

namespace treasure {

namespace {

void print_readable(const ClaimResult &result, const std::string &request_id)
{
    std::cout << status_name(result);
    if (result.status == ClaimStatus::unknown)
        std::cout << " (a status this build does not know)";
    if (result.status == ClaimStatus::claimed)
        std::cout << (result.replayed ? " (replayed)" : " (fresh)");
    std::cout << "\n  request_id  " << request_id;
    if (result.claim_id)
        std::cout << "\n  claim_id    " << *result.claim_id;
    std::cout << "\n  coins       +" << result.coins_awarded;
    for (const ClaimAward &award : result.awards)
        std::cout << "\n  award       " << award.item << " x" << award.qty << " (" << award.source << ")";
    if (result.loot_coins.value_or(0) > 0)
        std::cout << "\n  loot coins  " << *result.loot_coins;
    if (result.retry_after_ms)
        std::cout << "\n  retry after " << *result.retry_after_ms << " ms";
    if (result.key_used)
        std::cout << "\n  key used    " << *result.key_used;
    if (result.balance)
        std::cout << "\n  balance     " << *result.balance;
    if (result.claimed_at)
        std::cout << "\n  claimed_at  " << *result.claimed_at;
    std::cout << "\n  path        " << to_string(result.path) << "\n";
}

void print_refusal(const GatewayRefusal &refusal, bool json)
{
    if (json) {
        nlohmann::ordered_json out{{"error", refusal.error()}, {"http_status", refusal.http_status()}};
        if (!refusal.reason().empty())
            out["reason"] = refusal.reason();
        if (refusal.retry_after_ms() > 0)
            out["retry_after_ms"] = refusal.retry_after_ms();
        std::cout << out.dump() << "\n";
        return;
    }
    std::cout << refusal.error() << " (HTTP " << refusal.http_status() << ")";
    if (!refusal.reason().empty())
        std::cout << "\n  reason      " << refusal.reason();
    if (refusal.retry_after_ms() > 0)
        std::cout << "\n  retry after " << refusal.retry_after_ms() << " ms";
    std::cout << "\n";
}

}  // namespace

int run_claim_command(const ClaimCommand &command)
{
    ClaimRequest request{command.player_id, command.chest_id,
                         command.request_id.empty() ? random_uuid_v7() : command.request_id, command.session_id};
    std::unique_ptr<ClaimPath> path;
    try {
        auto credentials = std::make_shared<ClientCredentials>(command.credentials);
        if (!command.target.url.empty()) {
            path = std::make_unique<HttpClaimPath>(command.target.url,
                                                   credentials->sends_nothing() ? nullptr : std::move(credentials),
                                                   command.target.ca_certificates);
        } else {
            path = std::make_unique<Client>(ClientOptions{command.target.dsn, 1, RetryPolicy{}});
        }
    } catch (const std::exception &error) {
        std::cerr << "treasure claim: " << error.what() << "\n";
        return exit_code::failure;
    }
    try {
        const ClaimResult result = path->claim(request);
        if (command.json) {
            nlohmann::ordered_json out{{"status", status_name(result)},
                                       {"replayed", result.replayed},
                                       {"request_id", request.request_id},
                                       {"claim_id", nullptr},
                                       {"coins_awarded", result.coins_awarded},
                                       {"item_awarded", nullptr},
                                       {"item_qty", nullptr},
                                       {"key_used", nullptr},
                                       {"balance", nullptr},
                                       {"claimed_at", nullptr},
                                       {"path", to_string(result.path)}};
            if (result.claim_id)
                out["claim_id"] = *result.claim_id;
            if (result.item_awarded)
                out["item_awarded"] = *result.item_awarded;
            if (result.item_qty)
                out["item_qty"] = *result.item_qty;
            if (result.key_used)
                out["key_used"] = *result.key_used;
            if (result.balance)
                out["balance"] = *result.balance;
            if (result.claimed_at)
                out["claimed_at"] = *result.claimed_at;
            out["awards"] = awards_json(result.awards);
            if (result.loot_coins)
                out["loot_coins"] = *result.loot_coins;
            if (result.retry_after_ms)
                out["retry_after_ms"] = *result.retry_after_ms;
            std::cout << out.dump() << "\n";
        } else {
            print_readable(result, request.request_id);
        }
        return exit_code::for_status(result.status);
    } catch (const GatewayRefusal &refusal) {
        print_refusal(refusal, command.json);
        return exit_code::for_refusal(refusal.http_status());
    } catch (const ClaimError &error) {
        if (command.json) {
            std::cout << nlohmann::ordered_json{{"error", to_string(error.kind())}, {"message", error.what()}}.dump()
                      << "\n";
        }
        std::cerr << "treasure claim: " << to_string(error.kind()) << ": " << error.what() << "\n";
        return exit_code::for_error(error.kind());
    }
}

}  // namespace treasure
