#include "gateway/claim_reactor.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iostream>
#include <list>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/shard_set.hpp"
#include "gateway/worker_pool.hpp"
#include "lib/pipelined_claims.hpp"

namespace treasure {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::chrono::seconds reconnect_pause{1};

// One pipelined connection and the taps it carries.
struct Connection {
    // Before claims: claims' before_close releases it, so it never closes libpq's descriptor.
    std::unique_ptr<asio::posix::stream_descriptor> socket;
    std::unique_ptr<PipelinedClaims> claims;
    struct Pending {
        ClaimReactor::Done done;
        clock_type::time_point sent_at;
    };
    std::map<std::uint64_t, Pending> pending;  // by tag, so in the order sent
    bool reading = false;
    bool writing = false;

    bool live() const { return claims && claims->socket() >= 0; }
};

struct Queued {
    ValidClaimRequest request;
    ClaimReactor::Done done;
    clock_type::time_point queued_at;
};

// A shard's connections and the taps waiting for one.
struct Lane {
    std::shared_ptr<Shard> shard;
    std::list<std::shared_ptr<Connection>> connections;
    std::deque<Queued> queue;
    std::size_t connecting = 0;
    clock_type::time_point next_connect_at{};
    bool retired = false;           // no longer in the shard map
    bool failure_reported = false;  // a failed connect was logged; the next success clears it
};

void call(ClaimReactor::Done &done, ReactorVerdict verdict, std::optional<ClaimResult> result = std::nullopt)
{
    done(ReactorOutcome{verdict, std::move(result)});
}

}  // namespace

struct ClaimReactor::Loop {
    Loop(asio::io_context &io_, ClaimReactorOptions options_)
        : io(io_), options(options_), timer(io_), connector(WorkerPoolOptions{1, 1024, std::chrono::hours(1)})
    {}

    Lane &lane_of(const std::shared_ptr<Shard> &shard);
    void open_connections(Lane &lane);
    void install(Shard *key, std::shared_ptr<Connection> connection);
    Connection *free_connection(Lane &lane);
    void send(Lane &lane, const std::shared_ptr<Connection> &connection, const ValidClaimRequest &request, Done done);
    void step(Lane &lane, const std::shared_ptr<Connection> &connection);
    void watch(Lane &lane, const std::shared_ptr<Connection> &connection);
    void wait(Shard *key, const std::shared_ptr<Connection> &connection, asio::posix::stream_descriptor::wait_type what,
              bool Connection::*waiting);
    void on_ready(Shard *key, const std::weak_ptr<Connection> &weak);
    void send_queued(Lane &lane);
    void close(Lane &lane, std::shared_ptr<Connection> connection);  // a copy: the lane's own one goes
    void close_idle(Lane &lane);
    void erase_if_done(Shard *key);
    void arm_timer();
    void on_tick();

    asio::io_context &io;
    const ClaimReactorOptions options;
    asio::steady_timer timer;
    bool timer_armed = false;
    bool draining = false;
    std::uint64_t next_tag = 0;
    std::map<Shard *, Lane> lanes;
    WorkerPool connector;  // the blocking connects; last member, so it is joined first
};

Lane &ClaimReactor::Loop::lane_of(const std::shared_ptr<Shard> &shard)
{
    auto [found, added] = lanes.try_emplace(shard.get());
    if (added)
        found->second.shard = shard;
    return found->second;
}

void ClaimReactor::Loop::open_connections(Lane &lane)
{
    const auto now = clock_type::now();
    if (draining || lane.retired || now < lane.next_connect_at)
        return;
    lane.next_connect_at = now + reconnect_pause;
    Shard *key = lane.shard.get();
    PipelinedClaimsOptions claims_options;
    claims_options.dsn = lane.shard->dsn;
    claims_options.depth = options.depth;
    claims_options.retry.max_attempts = 1;  // every failure goes to the worker path, which retries
    for (std::size_t open = lane.connections.size() + lane.connecting; open < options.connections; ++open) {
        const auto failed = [this, key](std::string why) {
            asio::post(io, [this, key, why = std::move(why)] {
                Lane &failing = lanes.at(key);
                --failing.connecting;
                if (!failing.failure_reported)  // once until a connection opens again, not every second
                    std::cerr << "treasure-gateway: claim reactor, shard " << failing.shard->index
                              << ", claims go to the workers: " << why << "\n";
                failing.failure_reported = true;
                erase_if_done(key);
            });
        };
        const auto connect = [this, key, claims_options, failed] {
            auto connection = std::make_shared<Connection>();
            try {
                connection->claims = std::make_unique<PipelinedClaims>(claims_options);
                connection->claims->before_close([raw = connection.get()](int) {
                    if (raw->socket)
                        raw->socket->release();
                });
            } catch (const std::exception &error) {
                return failed(error.what());
            }
            asio::post(io, [this, key, connection] { install(key, connection); });
        };
        if (!connector.submit(connect, [failed] { failed("no connector thread free"); }))
            break;
        ++lane.connecting;
    }
}

void ClaimReactor::Loop::install(Shard *key, std::shared_ptr<Connection> connection)
{
    Lane &lane = lanes.at(key);
    --lane.connecting;
    if (draining || lane.retired || !connection->live()) {
        erase_if_done(key);
        return;  // closed here, on the I/O thread
    }
    connection->socket = std::make_unique<asio::posix::stream_descriptor>(io, connection->claims->socket());
    lane.failure_reported = false;
    lane.connections.push_back(connection);
    watch(lane, connection);
    send_queued(lane);
}

Connection *ClaimReactor::Loop::free_connection(Lane &lane)
{
    Connection *best = nullptr;
    for (const auto &connection : lane.connections)
        if (connection->live() && connection->pending.size() < static_cast<std::size_t>(options.depth) &&
            (!best || connection->pending.size() < best->pending.size()))
            best = connection.get();
    return best;
}

void ClaimReactor::Loop::send(Lane &lane, const std::shared_ptr<Connection> &connection,
                              const ValidClaimRequest &request, Done done)
{
    const std::uint64_t tag = next_tag++;
    connection->pending.emplace(tag, Connection::Pending{std::move(done), clock_type::now()});
    connection->claims->submit(tag, request);
    step(lane, connection);
    arm_timer();
}

// Sends and reads what it can; the taps that reached an outcome get it, and a lost connection's taps go to the
// workers.
void ClaimReactor::Loop::step(Lane &lane, const std::shared_ptr<Connection> &connection)
{
    std::vector<PipelinedOutcome> outcomes;
    try {
        outcomes = connection->claims->step();
    } catch (const std::exception &error) {
        std::cerr << "treasure-gateway: claim reactor: " << error.what() << "\n";
        return close(lane, connection);
    }
    for (PipelinedOutcome &outcome : outcomes) {
        auto found = connection->pending.find(outcome.tag);
        if (found == connection->pending.end())
            continue;
        Done done = std::move(found->second.done);
        connection->pending.erase(found);
        if (outcome.result && outcome.result->status != ClaimStatus::unknown)
            call(done, ReactorVerdict::answered, std::move(outcome.result));
        else
            call(done, ReactorVerdict::to_workers);
    }
    if (!connection->live())
        return close(lane, connection);
    watch(lane, connection);
}

void ClaimReactor::Loop::watch(Lane &lane, const std::shared_ptr<Connection> &connection)
{
    if (!connection->reading)
        wait(lane.shard.get(), connection, asio::posix::stream_descriptor::wait_read, &Connection::reading);
    if (connection->claims->output_pending() && !connection->writing)
        wait(lane.shard.get(), connection, asio::posix::stream_descriptor::wait_write, &Connection::writing);
}

void ClaimReactor::Loop::wait(Shard *key, const std::shared_ptr<Connection> &connection,
                              asio::posix::stream_descriptor::wait_type what, bool Connection::*waiting)
{
    (*connection).*waiting = true;
    connection->socket->async_wait(
        what, [this, key, weak = std::weak_ptr<Connection>(connection), waiting](boost::system::error_code error) {
            auto held = weak.lock();
            if (!held)
                return;
            (*held).*waiting = false;
            if (!error)
                on_ready(key, weak);
        });
}

void ClaimReactor::Loop::on_ready(Shard *key, const std::weak_ptr<Connection> &weak)
{
    auto found = lanes.find(key);
    auto connection = weak.lock();
    if (found == lanes.end() || !connection || !connection->claims)
        return;
    Lane &lane = found->second;
    step(lane, connection);
    send_queued(lane);
    close_idle(lane);
}

void ClaimReactor::Loop::send_queued(Lane &lane)
{
    while (!lane.queue.empty()) {
        Connection *free = free_connection(lane);
        if (!free)
            return;
        Queued next = std::move(lane.queue.front());
        lane.queue.pop_front();
        if (clock_type::now() - next.queued_at > options.max_queue_wait) {
            call(next.done, ReactorVerdict::shed);
            continue;
        }
        const auto held = std::find_if(lane.connections.begin(), lane.connections.end(),
                                       [free](const auto &connection) { return connection.get() == free; });
        send(lane, *held, next.request, std::move(next.done));
    }
}

// Its taps that have no outcome yet go to the workers: they may have committed, which their replay answers.
void ClaimReactor::Loop::close(Lane &lane, std::shared_ptr<Connection> connection)
{
    lane.connections.remove(connection);
    std::map<std::uint64_t, Connection::Pending> orphans;
    orphans.swap(connection->pending);
    connection->claims.reset();  // before_close releases the descriptor first
    connection->socket.reset();
    for (auto &[tag, pending] : orphans)
        call(pending.done, ReactorVerdict::to_workers);
    if (lane.connections.empty() && !lane.queue.empty()) {
        std::deque<Queued> waiting;
        waiting.swap(lane.queue);
        for (Queued &queued : waiting)
            call(queued.done, ReactorVerdict::to_workers);
    }
    open_connections(lane);
}

void ClaimReactor::Loop::close_idle(Lane &lane)
{
    if (!draining && !lane.retired)
        return;
    std::vector<std::shared_ptr<Connection>> idle;
    for (const auto &connection : lane.connections)
        if (connection->pending.empty())
            idle.push_back(connection);
    for (const auto &connection : idle)
        close(lane, connection);
    erase_if_done(lane.shard.get());
}

// A retired shard's lane goes once nothing of it is left, and with it the lane's hold on the Shard.
void ClaimReactor::Loop::erase_if_done(Shard *key)
{
    auto found = lanes.find(key);
    if (found == lanes.end())
        return;
    const Lane &lane = found->second;
    if ((lane.retired || draining) && lane.connections.empty() && lane.queue.empty() && lane.connecting == 0)
        lanes.erase(found);
    if (draining && lanes.empty())
        timer.cancel();  // nothing left in flight: let the loop end
}

void ClaimReactor::Loop::arm_timer()
{
    if (timer_armed)
        return;
    timer_armed = true;
    timer.expires_after(std::max<std::chrono::milliseconds>(options.answer_timeout / 4, std::chrono::milliseconds(10)));
    timer.async_wait([this](boost::system::error_code error) {
        timer_armed = false;
        if (!error)
            on_tick();
    });
}

// A connection whose oldest tap has waited longer than answer_timeout is closed (its taps to the workers); the
// timer runs only while taps are in flight, so that an idle, draining loop can end.
void ClaimReactor::Loop::on_tick()
{
    const auto late = clock_type::now() - options.answer_timeout;
    bool in_flight = false;
    std::vector<Shard *> keys;
    for (auto &[key, lane] : lanes)
        keys.push_back(key);
    for (Shard *key : keys) {
        auto found = lanes.find(key);
        if (found == lanes.end())
            continue;
        Lane &lane = found->second;
        std::vector<std::shared_ptr<Connection>> stuck;
        for (const auto &connection : lane.connections) {
            if (!connection->pending.empty() && connection->pending.begin()->second.sent_at < late)
                stuck.push_back(connection);
            else if (!connection->pending.empty())
                in_flight = true;
        }
        for (const auto &connection : stuck) {
            std::cerr << "treasure-gateway: claim reactor: no answer within " << options.answer_timeout.count()
                      << " ms on shard " << lane.shard->index << ": connection closed, its taps to the workers\n";
            close(lane, connection);
        }
        send_queued(lane);
        close_idle(lane);
    }
    if (in_flight)
        arm_timer();
}

ClaimReactor::ClaimReactor(asio::io_context &io, ClaimReactorOptions options)
{
    if (options.connections == 0)
        throw std::invalid_argument("the claim reactor needs at least one connection per shard");
    if (options.depth < 1 || options.depth > max_pipeline_depth)
        throw std::invalid_argument("claim reactor depth must be within 1.." + std::to_string(max_pipeline_depth));
    loop_ = std::make_unique<Loop>(io, options);
}

ClaimReactor::~ClaimReactor()
{
    loop_->connector.stop();
    for (auto &[key, lane] : loop_->lanes)
        for (const auto &connection : lane.connections) {
            connection->claims.reset();
            connection->socket.reset();
        }
}

void ClaimReactor::claim(const std::shared_ptr<Shard> &shard, const ValidClaimRequest &request, Done done)
{
    if (loop_->options.max_queued == 0)
        return call(done, ReactorVerdict::shed);  // as a worker pool with no room for a job refuses every one
    Lane &lane = loop_->lane_of(shard);
    if (lane.connections.size() < loop_->options.connections)
        loop_->open_connections(lane);
    if (Connection *free = loop_->free_connection(lane)) {
        const auto held = std::find_if(lane.connections.begin(), lane.connections.end(),
                                       [free](const auto &connection) { return connection.get() == free; });
        return loop_->send(lane, *held, request, std::move(done));
    }
    const bool any_live = std::any_of(lane.connections.begin(), lane.connections.end(),
                                      [](const auto &connection) { return connection->live(); });
    if (!any_live)
        return call(done, ReactorVerdict::to_workers);
    if (lane.queue.size() >= loop_->options.max_queued)
        return call(done, ReactorVerdict::shed);
    lane.queue.push_back(Queued{request, std::move(done), clock_type::now()});
}

void ClaimReactor::drain()
{
    loop_->draining = true;
    std::vector<Shard *> keys;
    for (auto &[key, lane] : loop_->lanes)
        keys.push_back(key);
    for (Shard *key : keys)
        loop_->close_idle(loop_->lanes.at(key));
}

void ClaimReactor::keep_only(std::shared_ptr<const ShardSet> set)
{
    asio::post(loop_->io, [loop = loop_.get(), set = std::move(set)] {
        std::vector<Shard *> keys;
        for (auto &[key, lane] : loop->lanes)
            if (std::none_of(set->shards.begin(), set->shards.end(),
                             [key = key](const auto &shard) { return shard.get() == key; }))
                keys.push_back(key);
        for (Shard *key : keys) {
            Lane &lane = loop->lanes.at(key);
            lane.retired = true;
            loop->close_idle(lane);
        }
    });
}

}  // namespace treasure
