// The statements claim_treasure() is made of.  Their SQL and the protocol that strings them
// together are described in claim_statements.cpp.
#pragma once

#include "installed_schema.hpp"
#include "saved_statement.hpp"

namespace treasure {

// Result columns of the claim statements (1-based, as SPI_getbinval numbers them).
enum ClaimColumn {
    claim_col_is_open = 1,
    claim_col_key_item,
    claim_col_gives_item,
    claim_col_claim_id,
    claim_col_coins_awarded,
    claim_col_item_awarded,
    claim_col_item_qty,
    claim_col_key_used,
    claim_col_balance,
    claim_col_claimed_at,
    claim_col_key_taken,
    claim_col_featured,
    claim_col_ruled,
    // The ruled statement's own columns.
    claim_col_refusal,
    claim_col_limited,
    claim_col_unit_slot,
};

// Result columns of lookup_statement.
enum LookupColumn {
    lookup_col_current_balance = 1,
    lookup_col_claim_id,
    lookup_col_same_request,
    lookup_col_same_chest,
    lookup_col_coins_awarded,
    lookup_col_item_awarded,
    lookup_col_item_qty,
    lookup_col_key_used,
    lookup_col_balance_after,
    lookup_col_claimed_at,
};

// The claim statements for one schema: ($1 player_id, $2 chest_id, $3 request_id, $4 session_id,
// $5 player_locked) -> one row per known chest.  general claims any chest; without_key only a chest that
// needs no key and coins_only only one that needs no key and gives no item (both ignore $5); none of them a
// featured or a ruled one.  ruled (1.3.0) claims a chest without a key under a claim limit, a wallet cap or
// stock, and says why it refused (claim_col_refusal) and which stock slot it took (claim_col_unit_slot).
struct ClaimStatements {
    SavedStatement general;
    SavedStatement without_key;
    SavedStatement coins_only;
    SavedStatement ruled;
};
// The statements written for the installed schema (where it stores the analytics counters, whether it has
// 1.3.0's features).  The first call
// builds them and may throw std::bad_alloc: call it where the SQL function's wall can catch that.
ClaimStatements &claim_statements(const InstalledSchema &schema);

// 1.3.0: ($1 player_id, $2 chest_id, $3 request_id, $4 session_id) -> claim_treasure()'s row, judged and
// written by treasure.claim_featured() (a chest with items, loot or stock, or while a limit or cap is set).
extern SavedStatement featured_claim_statement;

// ($1 chest_id, $2 slot): gives back the stock unit a ruled claim took before its guard refused.
extern SavedStatement give_back_unit_statement;

// ($1 player_id) -> one row if the player has a wallet, which is now locked.
extern SavedStatement lock_player_statement;
// ($1 player_id, $2 chest_id, $3 request_id) -> claims bound to this request or to this player and chest.
extern SavedStatement lookup_statement;

}  // namespace treasure
