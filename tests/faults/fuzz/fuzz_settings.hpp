#pragma once
// What the seeded fuzz tests share: TREASURE_FUZZ_ITERATIONS (default 20000 per test) and TREASURE_FUZZ_SEED
// (default 20240607), which make a run repeatable, and the mutation of a valid input.
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

namespace treasure::testing {

inline long fuzz_iterations()
{
    const char *text = std::getenv("TREASURE_FUZZ_ITERATIONS");
    return text != nullptr ? std::atol(text) : 20000;
}

inline std::uint64_t fuzz_seed()
{
    const char *text = std::getenv("TREASURE_FUZZ_SEED");
    return text != nullptr ? std::strtoull(text, nullptr, 10) : 20240607;
}

// 1..max_mutations random edits of text: a character replaced or inserted (from alphabet), one erased, or the
// text cut short.
inline std::string mutated(std::string text, std::mt19937_64 &rng, const std::string &alphabet, int max_mutations)
{
    std::uniform_int_distribution<int> op(0, 3), count(1, max_mutations);
    for (int m = count(rng); m > 0 && !text.empty(); --m) {
        std::uniform_int_distribution<std::size_t> at(0, text.size() - 1);
        const char c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
        switch (op(rng)) {
        case 0: text[at(rng)] = c; break;
        case 1: text.insert(at(rng), 1, c); break;
        case 2: text.erase(at(rng), 1); break;
        default: text.resize(at(rng)); break;
        }
    }
    return text;
}

}  // namespace treasure::testing
