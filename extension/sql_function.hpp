// The wall between C++ and PostgreSQL, built once so that no SQL-callable function can forget it.
//
// A C++ exception must never unwind into a PostgreSQL frame (it would kill the backend), and ereport(ERROR)
// is a longjmp that skips C++ destructors.  TREASURE_SQL_FUNCTION(name) defines the extern "C" entry point
// `name` around a body written as a plain C++ function:
//   * any C++ exception is caught, its text copied into a fixed buffer, the handler left, and only then
//     turned into ereport(ERROR): longjmp never leaves a catch block, so the C++ runtime's state stays sane;
//     error context callbacks the body pushed lived in its (now unwound) frame, so the stack of them is
//     reset to what it was on entry first;
//   * likewise PG_exception_stack (as pg_duckdb's cpp_wrapper.hpp does): an exception thrown inside a
//     PG_TRY block unwinds past its PG_END_TRY, which would have popped the block's sigjmp_buf.  Left
//     pointing into the dead frame, the ereport(ERROR) below would longjmp there and crash the backend
//     instead of aborting the transaction;
//   * PostgreSQL errors raised inside the body (SPI, palloc, casts) pass through untouched with their
//     SQLSTATE, which is why bodies keep only plain data (no object that owns memory) on the stack.
#pragma once

#include "postgres.hpp"

namespace treasure {

// What the wall knows about a C++ exception once it has left the catch handler.
struct CaughtException {
    int sqlstate;
    char message[256];
};

void report_caught_exception(const CaughtException &caught) pg_attribute_noreturn();

}  // namespace treasure

#define TREASURE_SQL_FUNCTION(name)                                                            \
    static Datum name##_body(FunctionCallInfo fcinfo);                                         \
    extern "C" {                                                                               \
    PG_FUNCTION_INFO_V1(name);                                                                 \
    Datum name(PG_FUNCTION_ARGS)                                                               \
    {                                                                                          \
        treasure::CaughtException caught;                                                      \
        ErrorContextCallback *const entry_error_context = error_context_stack;                 \
        sigjmp_buf *const entry_exception_stack = PG_exception_stack;                          \
        try {                                                                                  \
            return name##_body(fcinfo);                                                        \
        } catch (const std::bad_alloc &) {                                                     \
            caught.sqlstate = ERRCODE_OUT_OF_MEMORY;                                           \
            strlcpy(caught.message, "out of memory in " #name, sizeof caught.message);         \
        } catch (const std::exception &exception) {                                            \
            caught.sqlstate = ERRCODE_INTERNAL_ERROR;                                          \
            strlcpy(caught.message, exception.what(), sizeof caught.message);                  \
        } catch (...) {                                                                        \
            caught.sqlstate = ERRCODE_INTERNAL_ERROR;                                          \
            strlcpy(caught.message, "unknown C++ exception in " #name, sizeof caught.message); \
        }                                                                                      \
        error_context_stack = entry_error_context;                                             \
        PG_exception_stack = entry_exception_stack;                                            \
        treasure::report_caught_exception(caught);                                             \
    }                                                                                          \
    }                                                                                          \
    static Datum name##_body(FunctionCallInfo fcinfo)
