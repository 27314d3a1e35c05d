// What happens once per process that loads the library (a backend, or the postmaster with
// shared_preload_libraries).
#include "direct_claim.hpp"
#include "installed_schema.hpp"
#include "prepared_checks.hpp"

extern "C" {
#include "utils/inval.h"
}

extern "C" void _PG_init(void)
{
    CacheRegisterRelcacheCallback(treasure::forget_installed_schema, (Datum) 0);
    treasure::watch_for_stale_checks();
    treasure::define_direct_claims_setting();
}
