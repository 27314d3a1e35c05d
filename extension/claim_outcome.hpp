// What one claim_treasure() call works with: its arguments, and the outcome either path hands back
// (direct_claim.cpp through the table access methods, statements_claim.cpp through saved SQL statements),
// from which claim.cpp emits the one result row.
#pragma once

#include "postgres.hpp"

namespace treasure {

// In the order a refusal is judged (README "Statuses"): a replay (claimed), already_claimed, chest_closed,
// sold_out, key_required, rate_limited, wallet_full / inventory_full.
enum class Status {
    claimed,
    already_claimed,
    chest_closed,
    sold_out,
    key_required,
    rate_limited,
    wallet_full,
    inventory_full
};

const char *status_name(Status status);

// Columns of the RETURNS TABLE, in declaration order.
enum ResultColumn {
    result_status,
    result_replayed,
    result_claim_id,
    result_coins_awarded,
    result_item_awarded,
    result_item_qty,
    result_key_used,
    result_balance,
    result_claimed_at,
    result_columns
};

// One result row as plain data.  Pass-by-reference Datums point into memory that lives until SPI_finish();
// the row is handed to the tuplestore (which copies it) before that.
struct ResultRow {
    Datum values[result_columns];
    bool nulls[result_columns];

    explicit ResultRow(Status status)
    {
        for (int column = 0; column < result_columns; column++) {
            values[column] = (Datum) 0;
            nulls[column] = true;
        }
        set_status(status);
        set(result_replayed, BoolGetDatum(false));
        set(result_coins_awarded, Int64GetDatum(0));
    }
    void set_status(Status status) { set(result_status, CStringGetTextDatum(status_name(status))); }
    void set(ResultColumn column, Datum value)
    {
        values[column] = value;
        nulls[column] = false;
    }
    void set_or_null(ResultColumn column, Datum value, bool isnull)
    {
        values[column] = value;
        nulls[column] = isnull;
    }
    // Copies column `source` of an SPI result tuple, NULL included.
    void copy(ResultColumn column, HeapTuple tuple, TupleDesc desc, int source)
    {
        values[column] = SPI_getbinval(tuple, desc, source, &nulls[column]);
    }
};

struct ClaimArgs {
    Datum player_id;
    Datum chest_id;
    Datum request_id;
    Datum session_id;
    bool session_id_is_null;
};

struct ChestState {
    bool is_open;
    bool needs_key;
    bool gives_item;
    bool featured;  // 1.3.0: claimed by treasure.claim_featured() (items, loot, an item cap, a key under a rule)
    bool ruled;     // 1.3.0: a claim limit, a wallet cap or stock applies (treasure.claim_features)
};

// A claim bound to this request_id or to this player and chest, found when the guard inserted nothing.
// Pass-by-reference Datums live until SPI_finish().
struct FoundClaim {
    bool same_request;
    bool same_chest;
    Datum claim_id;
    Datum coins_awarded;
    Datum item_awarded;
    bool item_awarded_null;
    Datum item_qty;
    bool item_qty_null;
    Datum key_used;
    bool key_used_null;
    Datum balance_after;  // from the claim's event
    bool balance_after_null;
    Datum claimed_at;
};

// What a refused claim's outcome depends on: the player's balance now (0 without a wallet) and the claims
// found (request_id and the (player_id, chest_id) key are unique, so at most two).
struct Lookup {
    Datum current_balance;
    int found;
    FoundClaim claims[2];
};

// What a claim found out, whichever path made it.
struct ClaimOutcome {
    // decided: the featured claim (treasure.claim_featured()) judged it and filled in the whole row.
    enum class Result { unknown_chest, claimed, refused, decided };
    Result result;
    ChestState chest;   // as the claim last read it
    bool keys_checked;  // the player's keys were looked at under the wallet's lock
    // A ruled claim's refusal, judged before its guard (sold_out, rate_limited, wallet_full); a replay or an
    // already claimed chest that the look-up finds still comes first.
    bool judged_refused;
    Status judged_status;
    // The direct path took a stock unit from this slot and its guard then refused: claim.cpp gives it back.
    bool unit_to_give_back;
    int32 unit_slot;
    Lookup lookup;  // refused: what the refusal depends on, looked up after it
    ResultRow row;  // claimed: the claim's columns; refused: filled in by claim.cpp

    ClaimOutcome()
        : result(Result::refused), chest{false, false, false, false, false}, keys_checked(false), judged_refused(false),
          judged_status(Status::claimed), unit_to_give_back(false), unit_slot(0), lookup{}, row(Status::claimed)
    {}
};

// The key seen under the wallet's lock was gone when the claim went to take it: abort rather than award
// without the key (40001, so that the caller retries with the same request_id).  Both paths raise it here.
void report_key_consumed_concurrently() pg_attribute_noreturn();

// A ruled claim judged its rules without a wallet, and another claim opened the player's wallet before this one
// could: abort (40001), since the rules were not judged on that wallet; the retry is judged under its lock.
void report_wallet_opened_concurrently() pg_attribute_noreturn();

// The refusal a status name stands for (a ruled claim's verdict); an unknown name is an internal error.
Status status_named(const char *name);

}  // namespace treasure
