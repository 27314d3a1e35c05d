// The only way C++ in this extension includes PostgreSQL: standard headers first, then the server's C
// headers inside extern "C" with postgres.h first.  port.h turns printf-family names into macros and
// elog.h defines ERROR and friends, so nothing may include <cstdio> and friends after this file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <string>

extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
}
