#pragma once
// Which of the simulated players 1..N are bots, and how often each is drawn: the load tools' --bots FRACTION
// --bot-rate-multiplier M (treasure load, the fault suite's driver).  A bot reuses its own player id and taps M
// times as often as a human, as the seed's bots did (12% of its hunts).
//
// The bots are round(N * FRACTION) ids spread evenly over 1..N (bot k of B is 1 + floor(k * N / B)), so the
// choice depends on the player id alone: every run, worker and tool agrees on who is a bot.  A tap draws a bot
// with weight M and a human with weight 1; with no bots the draw is exactly the uniform one the tools made before
// (the same random numbers, so a seeded run is unchanged).
#include <cstdint>
#include <random>

namespace treasure {

class BotPlayers {
public:
    // players >= 1, 0 <= bot_fraction <= 1, bot_rate_multiplier >= 1; throws std::invalid_argument otherwise.
    BotPlayers(std::int64_t players, double bot_fraction, double bot_rate_multiplier);

    std::int64_t players() const { return players_; }
    std::int64_t bots() const { return bots_; }
    std::int64_t humans() const { return players_ - bots_; }
    double bot_rate_multiplier() const { return multiplier_; }
    bool is_bot(std::int64_t player_id) const;

    // The k-th bot (0 <= k < bots()) and the j-th human (0 <= j < humans()), in increasing id order.
    std::int64_t bot(std::int64_t k) const;
    std::int64_t human(std::int64_t j) const;

    // Taps sent per tap the same players would send were they all human: (humans + M * bots) / players.  A tool
    // with a fixed --rate multiplies it by this, so humans keep the rate they have without bots.
    double load_factor() const;

    // One tap's player: uniform over 1..N without bots, else a bot with weight M and a human with weight 1.
    std::int64_t pick(std::mt19937_64 &random) const;

private:
    std::int64_t bots_up_to(std::int64_t player_id) const;  // how many of 1..player_id are bots

    std::int64_t players_;
    std::int64_t bots_;
    double multiplier_;
};

}  // namespace treasure
