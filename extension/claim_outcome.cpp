#include "claim_outcome.hpp"

namespace treasure {

const char *status_name(Status status)
{
    switch (status) {
    case Status::claimed: return "claimed";
    case Status::already_claimed: return "already_claimed";
    case Status::key_required: return "key_required";
    case Status::chest_closed: return "chest_closed";
    case Status::sold_out: return "sold_out";
    case Status::rate_limited: return "rate_limited";
    case Status::wallet_full: return "wallet_full";
    case Status::inventory_full: return "inventory_full";
    }
    return "unknown";
}

void report_key_consumed_concurrently()
{
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("the key for this chest was consumed by a concurrent claim"),
                    errhint("Retry with the same request_id.")));
    pg_unreachable();
}

void report_wallet_opened_concurrently()
{
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("the player's wallet was opened by a concurrent claim while a claim rule was judged"),
                    errhint("Retry with the same request_id.")));
    pg_unreachable();
}

Status status_named(const char *name)
{
    for (Status status : {Status::chest_closed, Status::sold_out, Status::rate_limited, Status::wallet_full,
                          Status::inventory_full, Status::key_required, Status::already_claimed})
        if (strcmp(name, status_name(status)) == 0)
            return status;
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("treasure: unknown refusal \"%s\"", name)));
    pg_unreachable();
}

}  // namespace treasure
