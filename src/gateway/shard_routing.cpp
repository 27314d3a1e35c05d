// The Gateway's shard map: the first one, its reloads (SIGHUP, --shard-map-poll-seconds), the shards they retire,
// and the per-shard breaker metrics.  See shard_set.hpp for what a Shard holds.
#include <algorithm>
#include <iostream>
#include <stdexcept>

#include <pqxx/pqxx>

#include "gateway/gateway.hpp"
#include "gateway/http_server.hpp"
#include "lib/reloading_file.hpp"

namespace treasure {

namespace {

ShardMap read_configured_shard_map(const ShardingOptions &sharding)
{
    if (!sharding.shards_file.empty())
        return shard_map_from_file_text(read_whole_file(sharding.shards_file, "shards"));
    pqxx::connection router(sharding.router_dsn);
    return read_shard_map(router, sharding.server);
}

}  // namespace

std::shared_ptr<Shard> Gateway::make_shard(int index, const std::string &dsn)
{
    if (!sharded())
        return std::make_shared<Shard>(index, dsn, config_.replica_dsn, config_, *flags_, metrics_);
    auto shard = std::make_shared<Shard>(index, dsn, "", config_, *flags_, metrics_);
    // Instead of the Router's listener, which would set the one treasure_circuit_state to this shard's state.
    shard->breaker.on_transition([this, index](CircuitState, CircuitState to) { on_shard_transition(index, to); });
    shard_metrics_.set_circuit_state(index, shard->breaker.state());
    return shard;
}

std::shared_ptr<const ShardSet> Gateway::first_shard_set()
{
    auto set = std::make_shared<ShardSet>();
    if (!sharded()) {
        set->map.shard_dsns = {config_.dsn};
    } else {
        if (!config_.dsn.empty() || !config_.replica_dsn.empty())
            throw std::invalid_argument(
                "a sharded gateway takes its databases from the shard map, not from --dsn or --replica-dsn");
        if (!config_.sharding.router_dsn.empty() && !config_.sharding.shards_file.empty())
            throw std::invalid_argument("--shard-map-from and --shards-file exclude each other");
        set->map = read_configured_shard_map(config_.sharding);
        shard_metrics_.set_partitions(set->map.partitions());
    }
    for (int index = 0; index < set->map.partitions(); ++index)
        set->shards.push_back(make_shard(index, set->map.shard_dsns[static_cast<std::size_t>(index)]));
    return set;
}

void Gateway::start_shard_map_polling()
{
    if (sharded() && config_.sharding.poll.count() > 0)
        poller_ = std::thread([this] { poll_shard_map(); });
}

void Gateway::poll_shard_map()
{
    std::unique_lock<std::mutex> lock(poll_mutex_);
    while (!poll_wakeup_.wait_for(lock, config_.sharding.poll, [this] { return polling_stopped_; })) {
        lock.unlock();
        reload_shard_map();
        lock.lock();
    }
}

ShardMapReload Gateway::reload_shard_map()
{
    if (!sharded())
        return ShardMapReload::unchanged;
    std::lock_guard<std::mutex> lock(reload_mutex_);
    ShardMapReload outcome = ShardMapReload::unchanged;
    try {
        ShardMap map = read_configured_shard_map(config_.sharding);
        const std::shared_ptr<const ShardSet> old = shards();
        if (map != old->map) {
            auto next = std::make_shared<ShardSet>();
            for (int index = 0; index < map.partitions(); ++index) {
                const std::string &dsn = map.shard_dsns[static_cast<std::size_t>(index)];
                const bool kept =
                    index < old->map.partitions() && old->shards[static_cast<std::size_t>(index)]->dsn == dsn;
                next->shards.push_back(kept ? old->shards[static_cast<std::size_t>(index)] : make_shard(index, dsn));
            }
            next->map = std::move(map);
            for (const auto &shard : old->shards)
                if (std::find(next->shards.begin(), next->shards.end(), shard) == next->shards.end())
                    retired_.push_back(shard);
            {
                std::lock_guard<std::mutex> swap(shards_mutex_);
                shards_ = next;
            }
            if (reactor_)
                reactor_->keep_only(next);
            shard_metrics_.set_partitions(next->map.partitions());
            metrics_.set_circuit_state(worst_circuit(*next));
            std::cerr << "treasure-gateway: shard map reloaded, " << next->map.partitions() << " shards\n";
            outcome = ShardMapReload::changed;
        }
    } catch (const std::exception &error) {
        std::cerr << "treasure-gateway: shard map not reloaded, the one in force stays: " << error.what() << "\n";
        outcome = ShardMapReload::failed;
    }
    shard_metrics_.count_reload(outcome);
    release_retired_shards();
    return outcome;
}

// Under reload_mutex_.  A retired shard nobody else holds any more (no request, no ShardSet) goes now, on this
// thread: never on one of its own workers, which its destruction joins.
void Gateway::release_retired_shards()
{
    for (auto it = retired_.begin(); it != retired_.end();) {
        if (it->use_count() == 1) {
            (*it)->stop_workers();
            it = retired_.erase(it);
        } else {
            ++it;
        }
    }
}

void Gateway::on_shard_transition(int index, CircuitState to)
{
    shard_metrics_.set_circuit_state(index, to);
    shard_metrics_.count_circuit_transition(index, to);
    metrics_.count_circuit_transition(to);
    metrics_.set_circuit_state(worst_circuit(*shards()));
}

nlohmann::ordered_json Gateway::shards_health(const ShardSet &set) const
{
    nlohmann::ordered_json shards = nlohmann::ordered_json::array();
    for (const auto &shard : set.shards)
        shards.push_back({{"shard", shard->index},
                          {"circuit", to_string(shard->breaker.state())},
                          {"saga", shard->saga != nullptr}});
    return shards;
}

}  // namespace treasure
