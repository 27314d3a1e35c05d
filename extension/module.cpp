// What happens once per process that loads the library (a backend, or the postmaster with
// shared_preload_libraries).
#include "installed_schema.hpp"
#include "prepared_checks.hpp"
#include "settings.hpp"

extern "C" {
#include "utils/inval.h"

PG_MODULE_MAGIC;
}

extern "C" void _PG_init(void)
{
    CacheRegisterRelcacheCallback(treasure::forget_installed_schema, (Datum) 0);
#if TREASURE_DIRECT_PATH
    treasure::watch_for_stale_checks();
#endif
    treasure::define_settings();
}
