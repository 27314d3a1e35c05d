#include "lib/bot_players.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace treasure {

namespace {

using Wide = unsigned __int128;  // k * N and p * B overflow 64 bits for ids near INT64_MAX

// ceil(a * b / c) for non-negative a, b and positive c.
std::int64_t ceil_product_ratio(std::int64_t a, std::int64_t b, std::int64_t c)
{
    const Wide product = static_cast<Wide>(a) * static_cast<Wide>(b);
    return static_cast<std::int64_t>((product + static_cast<Wide>(c) - 1) / static_cast<Wide>(c));
}

}  // namespace

BotPlayers::BotPlayers(std::int64_t players, double bot_fraction, double bot_rate_multiplier)
    : players_(players), bots_(0), multiplier_(bot_rate_multiplier)
{
    if (players < 1)
        throw std::invalid_argument("--players must be >= 1");
    if (!(bot_fraction >= 0 && bot_fraction <= 1))
        throw std::invalid_argument("--bots must be within 0..1");
    if (!(bot_rate_multiplier >= 1))
        throw std::invalid_argument("--bot-rate-multiplier must be >= 1");
    bots_ = std::clamp<std::int64_t>(std::llround(static_cast<double>(players) * bot_fraction), 0, players);
}

std::int64_t BotPlayers::bot(std::int64_t k) const
{
    return 1 + static_cast<std::int64_t>(static_cast<Wide>(k) * static_cast<Wide>(players_) / static_cast<Wide>(bots_));
}

bool BotPlayers::is_bot(std::int64_t player_id) const
{
    if (bots_ == 0 || player_id < 1 || player_id > players_)
        return false;
    // The first bot at or after player_id is number ceil((player_id - 1) * B / N).
    const std::int64_t k = ceil_product_ratio(player_id - 1, bots_, players_);
    return k < bots_ && bot(k) == player_id;
}

std::int64_t BotPlayers::bots_up_to(std::int64_t player_id) const
{
    // Bot k is <= player_id exactly when k * N / B < player_id, i.e. k < player_id * B / N.
    return bots_ == 0 ? 0 : std::min(bots_, ceil_product_ratio(player_id, bots_, players_));
}

std::int64_t BotPlayers::human(std::int64_t j) const
{
    // The smallest id with j + 1 humans at or below it.
    std::int64_t low = 1, high = players_;
    while (low < high) {
        const std::int64_t middle = low + (high - low) / 2;
        if (middle - bots_up_to(middle) >= j + 1)
            high = middle;
        else
            low = middle + 1;
    }
    return low;
}

double BotPlayers::load_factor() const
{
    return (static_cast<double>(humans()) + multiplier_ * static_cast<double>(bots_)) / static_cast<double>(players_);
}

std::int64_t BotPlayers::pick(std::mt19937_64 &random) const
{
    if (bots_ == 0)
        return std::uniform_int_distribution<std::int64_t>(1, players_)(random);
    const double bot_weight = multiplier_ * static_cast<double>(bots_);
    const double draw = std::uniform_real_distribution<double>(0.0, bot_weight + static_cast<double>(humans()))(random);
    if (draw < bot_weight || humans() == 0)
        return bot(std::min(bots_ - 1, static_cast<std::int64_t>(draw / multiplier_)));
    return human(std::min(humans() - 1, static_cast<std::int64_t>(draw - bot_weight)));
}

}  // namespace treasure
