#include "settings.hpp"

#include "pg_compat.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace treasure {
namespace {

// treasure.last_claim_path's value, shown by its show hook; the setting's own variable is never read.
const char *last_claim_path = "none";
char *last_claim_path_setting = nullptr;

const char *show_last_claim_path() { return last_claim_path; }

bool direct_path_built = TREASURE_DIRECT_PATH;

}  // namespace

bool direct_claims_enabled = true;

void record_claim_path(ClaimPath path) { last_claim_path = path == ClaimPath::direct ? "direct" : "statements"; }

void define_settings()
{
    DefineCustomBoolVariable(
        "treasure.direct_claims",
        "Lets claim_treasure() write claims through the table access methods instead of its statements.",
        TREASURE_DIRECT_PATH ? "Off, every claim runs the claim statements (the same rows, more CPU per claim)."
                             : "This build has no direct path (see treasure.direct_path_built): every claim runs "
                               "the claim statements whatever this says.",
        &direct_claims_enabled, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "treasure.last_claim_path", "Which path wrote this session's last claim: direct, statements, or none yet.",
        "Read-only.  statements while treasure.direct_claims is on means the direct path "
        "declined that claim (see extension/claim_tables.hpp for when it does).",
        &last_claim_path_setting, "none", PGC_INTERNAL, GUC_NO_RESET_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
        nullptr, nullptr, show_last_claim_path);
    DefineCustomBoolVariable("treasure.direct_path_built",
                             "Whether this build of treasure has the direct path (PostgreSQL 15 builds, unless "
                             "built with make TREASURE_DIRECT=0).",
                             "Read-only.  Off, every claim runs the claim statements.", &direct_path_built,
                             TREASURE_DIRECT_PATH, PGC_INTERNAL, GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE, nullptr,
                             nullptr, nullptr);
    MarkGUCPrefixReserved("treasure");
}

}  // namespace treasure
