#include "prepared_checks.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/executor.h"
#include "optimizer/optimizer.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace treasure {
namespace {

// What stales a prepared CHECK: a changed constraint or column (ALTER TABLE sends a relation cache
// invalidation for the table) and a changed function, type or operator (expression_planner inlines SQL
// functions and folds immutable ones; PostgreSQL's plan cache watches the same catalogs).  Any such
// invalidation stales the whole cache: they are rare, and the next claim prepares the checks again.
uint64 current_epoch = 1;

struct PreparedChecks {
    Oid relid;
    uint64 epoch;
    int count;
    ExprState **exprs;
};

// At most one entry per table a claim writes.  An entry of an older epoch is replaced; its memory is freed at
// the end of the transaction, when no claim can be using it (not at the start of a claim: a function in a
// CHECK expression could itself claim).
constexpr int max_tables = 8;
PreparedChecks prepared[max_tables];
int prepared_count = 0;
MemoryContext checks_context = nullptr;
bool holds_unused_memory = false;  // replaced entries, or a preparation an error interrupted

void make_stale(Datum, Oid)
{
    current_epoch++;
}

void make_stale_syscache(Datum, int, uint32)
{
    current_epoch++;
}

// ExecRelCheck's preparation (stringToNode, then ExecPrepareExpr's steps), into the cache's memory.
ExprState **prepare(Relation rel, int count)
{
    if (checks_context == nullptr)
        checks_context = AllocSetContextCreate(CacheMemoryContext, "treasure prepared checks", ALLOCSET_SMALL_SIZES);
    holds_unused_memory = true;  // until this returns
    MemoryContext caller_context = MemoryContextSwitchTo(checks_context);
    ExprState **exprs = static_cast<ExprState **>(palloc(count * sizeof(ExprState *)));
    for (int i = 0; i < count; i++) {
        Expr *check = static_cast<Expr *>(stringToNode(rel->rd_att->constr->check[i].ccbin));
        exprs[i] = ExecInitExpr(expression_planner(check), nullptr);
    }
    MemoryContextSwitchTo(caller_context);
    return exprs;
}

void release_stale_checks(XactEvent event, void *)
{
    if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE)
        return;
    bool stale = holds_unused_memory;
    for (int i = 0; i < prepared_count && !stale; i++)
        stale = prepared[i].epoch != current_epoch;
    if (!stale)
        return;
    prepared_count = 0;
    holds_unused_memory = false;
    if (checks_context != nullptr)
        MemoryContextReset(checks_context);
}

}  // namespace

void use_prepared_checks(ResultRelInfo *info)
{
    Relation rel = info->ri_RelationDesc;
    const TupleConstr *constraints = rel->rd_att->constr;
    // ExecRelCheck raises the error for a relation whose pg_constraint rows are missing: leave it to it.
    if (constraints == nullptr || constraints->num_check == 0 || constraints->num_check != rel->rd_rel->relchecks)
        return;
    const Oid relid = RelationGetRelid(rel);
    PreparedChecks *entry = nullptr;
    for (int i = 0; i < prepared_count && entry == nullptr; i++)
        if (prepared[i].relid == relid)
            entry = &prepared[i];
    if (entry == nullptr || entry->epoch != current_epoch || entry->count != constraints->num_check) {
        if (entry == nullptr && prepared_count == max_tables)
            return;  // ExecConstraints prepares them itself
        const bool unused_before = holds_unused_memory || entry != nullptr;
        const uint64 epoch = current_epoch;  // an invalidation during prepare() stales the result
        ExprState **exprs = prepare(rel, constraints->num_check);
        holds_unused_memory = unused_before;
        if (entry == nullptr)
            entry = &prepared[prepared_count++];
        *entry = PreparedChecks{relid, epoch, constraints->num_check, exprs};
    }
    info->ri_ConstraintExprs = entry->exprs;
}

void watch_for_stale_checks()
{
    CacheRegisterRelcacheCallback(make_stale, (Datum) 0);
    for (int cache : {PROCOID, TYPEOID, OPEROID, NAMESPACEOID})
        CacheRegisterSyscacheCallback(cache, make_stale_syscache, (Datum) 0);
    RegisterXactCallback(release_stale_checks, nullptr);
}

}  // namespace treasure
