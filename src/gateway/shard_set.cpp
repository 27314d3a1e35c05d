#include "gateway/shard_set.hpp"

#include <stdexcept>
#include <utility>

namespace treasure {

namespace {

std::unique_ptr<SagaPath> make_saga_path(const std::string &dsn, const GatewayConfig &config)
{
    if (config.saga == GatewayConfig::SagaMode::off)
        return nullptr;
    if (!SagaPath::available(dsn)) {
        if (config.saga == GatewayConfig::SagaMode::on)
            throw std::runtime_error("--saga on: the database's treasure extension has no saga path (needs 1.1.0)");
        return nullptr;
    }
    return std::make_unique<SagaPath>(SagaPathOptions{dsn, config.pool_size, config.saga_deadline});
}

std::unique_ptr<AnalyticsReader> make_analytics(const std::string &dsn, const std::string &replica_dsn,
                                                const GatewayConfig &config)
{
    AnalyticsOptions options;
    options.primary_dsn = dsn;
    options.replica_dsn = replica_dsn;
    options.max_lag = config.replica_max_lag;
    return std::make_unique<AnalyticsReader>(options);
}

}  // namespace

WorkerPoolOptions worker_pool_options(const GatewayConfig &config, std::size_t threads)
{
    if (threads == 0)
        throw std::invalid_argument("the gateway needs at least one worker thread");
    return WorkerPoolOptions{threads, config.admission.max_queued, config.admission.max_queue_wait};
}

Shard::Shard(int index_, std::string dsn_, const std::string &replica_dsn, const GatewayConfig &config,
             FeatureFlagProvider &flags, ClaimMetrics &metrics)
    : index(index_), dsn(std::move(dsn_)), atomic(ClientOptions{dsn, config.pool_size, config.retry}),
      saga(make_saga_path(dsn, config)), breaker(config.breaker), router(atomic, saga.get(), flags, breaker, &metrics),
      analytics(make_analytics(dsn, replica_dsn, config)), claims(worker_pool_options(config, config.pool_size)),
      saga_claims(saga ? std::make_unique<WorkerPool>(worker_pool_options(config, config.pool_size)) : nullptr)
{}

void Shard::stop_workers()
{
    claims.stop();
    if (saga_claims)
        saga_claims->stop();
}

CircuitState worst_circuit(const ShardSet &set)
{
    CircuitState worst = CircuitState::closed;
    for (const auto &shard : set.shards) {
        const CircuitState state = shard->breaker.state();
        if (state == CircuitState::open)
            return state;
        if (state == CircuitState::half_open)
            worst = state;
    }
    return worst;
}

}  // namespace treasure
