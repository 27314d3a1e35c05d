#include "prepared_checks.hpp"

#if TREASURE_DIRECT_PATH

extern "C" {
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "optimizer/optimizer.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace treasure {
namespace {

// What stales a prepared CHECK: a changed constraint or column of the table (ALTER TABLE sends a relation
// cache invalidation for it), a changed function (expression_planner inlines SQL functions and folds
// immutable calls, so a CHECK may now mean another body), schema or role (the preparation resolved names
// and checked EXECUTE).  Any such invalidation stales every entry; the next claim prepares them again.
uint64 current_epoch = 1;

struct PreparedChecks {
    Oid relid;
    uint64 epoch;
    Oid user;
    int count;
    ExprState **exprs;  // nullptr: not of the kind kept (ExecRelCheck prepares them)
};

// At most one entry per table a claim writes.  An entry of an older epoch is replaced; its memory is freed
// once no claim can be using it (claim_begins with no claim running, or the end of the transaction).
constexpr int max_tables = 8;
PreparedChecks prepared[max_tables];
int prepared_count = 0;
MemoryContext checks_context = nullptr;
bool holds_unused_memory = false;  // replaced entries
int claims_running = 0;

PreparedChecks *entry_of(Oid relid)
{
    for (int i = 0; i < prepared_count; i++)
        if (prepared[i].relid == relid)
            return &prepared[i];
    return nullptr;
}

void make_stale(Datum, Oid relid)
{
    if (!OidIsValid(relid) || entry_of(relid) != nullptr)
        current_epoch++;
}

void make_stale_syscache(Datum, int, uint32) { current_epoch++; }

bool is_stale()
{
    bool stale = holds_unused_memory;
    for (int i = 0; i < prepared_count && !stale; i++)
        stale = prepared[i].epoch != current_epoch;
    return stale;
}

void release_stale_checks()
{
    prepared_count = 0;
    holds_unused_memory = false;
    if (checks_context != nullptr)
        MemoryContextReset(checks_context);
}

void at_transaction_end(XactEvent event, void *)
{
    if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE)
        return;
    if (is_stale())
        release_stale_checks();
}

bool is_plain_builtin(Oid function)
{
    if (function >= FirstNormalObjectId)
        return false;
    HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
    if (!HeapTupleIsValid(tuple))
        return false;
    const Form_pg_proc proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple));
    const bool plain =
        proc->prolang == INTERNALlanguageId && proc->provolatile == PROVOLATILE_IMMUTABLE && !proc->proretset;
    ReleaseSysCache(tuple);
    return plain;
}

// True for any node outside what this cache keeps (see prepared_checks.hpp).
bool has_unkept_node(Node *node, void *context)
{
    if (node == nullptr)
        return false;
    switch (nodeTag(node)) {
    case T_Var: {
        const Var *var = castNode(Var, node);
        if (var->varattno <= 0 || var->varlevelsup != 0)
            return true;  // whole-row and system columns: their evaluation caches per statement
        break;
    }
    case T_Const:
    case T_List:
    case T_BoolExpr:
    case T_RelabelType:
    case T_CaseExpr:
    case T_CaseWhen:
    case T_CaseTestExpr:
    case T_CoalesceExpr:
    case T_BooleanTest: break;
    case T_NullTest:
        if (castNode(NullTest, node)->argisrow)
            return true;
        break;
    case T_FuncExpr:
        if (!is_plain_builtin(castNode(FuncExpr, node)->funcid))
            return true;
        break;
    case T_OpExpr:
    case T_DistinctExpr:
    case T_NullIfExpr:  // the same struct as OpExpr
        if (!is_plain_builtin(reinterpret_cast<OpExpr *>(node)->opfuncid))
            return true;
        break;
    case T_ScalarArrayOpExpr: {
        const ScalarArrayOpExpr *call = castNode(ScalarArrayOpExpr, node);
        if (OidIsValid(call->hashfuncid) || !is_plain_builtin(call->opfuncid))
            return true;
        break;
    }
    default: return true;
    }
    return pg::walk_expression(node, has_unkept_node, context);
}

// ExecRelCheck's preparation.  The expressions are planned in the caller's (the claim's) memory, and only if
// every one is of the kind kept are they copied into the cache's memory and made executable there.
ExprState **prepare(Relation rel, int count)
{
    Expr **planned = static_cast<Expr **>(palloc(count * sizeof(Expr *)));
    for (int i = 0; i < count; i++) {
        planned[i] = expression_planner(static_cast<Expr *>(stringToNode(rel->rd_att->constr->check[i].ccbin)));
        if (has_unkept_node(reinterpret_cast<Node *>(planned[i]), nullptr))
            return nullptr;
    }
    if (checks_context == nullptr)
        checks_context = AllocSetContextCreate(CacheMemoryContext, "treasure prepared checks", ALLOCSET_SMALL_SIZES);
    // Planning above may have run user code (constant folding), even a claim; from here on nothing does.
    const bool unused_before = holds_unused_memory;
    holds_unused_memory = true;  // until the caller records the entry: an error here leaves garbage
    MemoryContext caller_context = MemoryContextSwitchTo(checks_context);
    ExprState **exprs = static_cast<ExprState **>(palloc(count * sizeof(ExprState *)));
    for (int i = 0; i < count; i++)
        exprs[i] = ExecInitExpr(static_cast<Expr *>(copyObjectImpl(planned[i])), nullptr);
    MemoryContextSwitchTo(caller_context);
    holds_unused_memory = unused_before;
    return exprs;
}

}  // namespace

void use_prepared_checks(ResultRelInfo *info)
{
    Relation rel = info->ri_RelationDesc;
    const TupleConstr *constraints = rel->rd_att->constr;
    // ExecRelCheck raises the error for a relation whose pg_constraint rows are missing: leave it to it.
    if (pg::check_constraint_exprs(info) != nullptr || constraints == nullptr || constraints->num_check == 0 ||
        constraints->num_check != rel->rd_rel->relchecks)
        return;
    // An ExprState cannot be evaluated while it is being evaluated: a claim made from inside another claim
    // (a CHECK's function, or a type's support function, may be user code) leaves its checks to ExecRelCheck.
    if (claims_running > 1)
        return;
    const Oid relid = RelationGetRelid(rel);
    const Oid user = GetUserId();
    PreparedChecks *entry = entry_of(relid);
    if (entry == nullptr || entry->epoch != current_epoch || entry->user != user ||
        entry->count != constraints->num_check) {
        const uint64 epoch = current_epoch;  // an invalidation during prepare() stales the result
        ExprState **exprs = prepare(rel, constraints->num_check);
        // Look again: preparing may have run a function that claimed, and so filled the cache.
        entry = entry_of(relid);
        if (entry == nullptr) {
            if (prepared_count == max_tables) {
                holds_unused_memory = holds_unused_memory || exprs != nullptr;
                return;  // ExecRelCheck prepares them
            }
            entry = &prepared[prepared_count++];
        } else if (entry->exprs != nullptr) {
            holds_unused_memory = true;  // the entry's old expressions
        }
        *entry = PreparedChecks{relid, epoch, user, constraints->num_check, exprs};
    }
    pg::check_constraint_exprs(info) = entry->exprs;
}

void claim_begins()
{
    if (claims_running == 0 && is_stale())
        release_stale_checks();
    claims_running++;
}

void claim_done() { claims_running--; }

void watch_for_stale_checks()
{
    CacheRegisterRelcacheCallback(make_stale, (Datum) 0);
    for (int cache : {PROCOID, NAMESPACEOID, AUTHOID, AUTHMEMROLEMEM})
        CacheRegisterSyscacheCallback(cache, make_stale_syscache, (Datum) 0);
    RegisterXactCallback(at_transaction_end, nullptr);
}

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
