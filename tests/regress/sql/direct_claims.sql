-- claim_treasure() writes claims of chests without a key directly (treasure.direct_claims, on by default)
-- unless the transaction or the tables are not what the direct path was written for; then the claim
-- statements write the same claim.  Each case here must give the statements' result and effects.
\pset null '(null)'
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants RESTART IDENTITY;

\i tests/regress/include/error_of.sql

-- Every table a claim writes, as one line per player.
CREATE FUNCTION pg_temp.player(player bigint) RETURNS text
LANGUAGE sql AS $$
  SELECT format('balance=%s claims=%s coins=%s events=%s/%s items=%s guards=%s',
    (SELECT balance FROM treasure.wallets WHERE player_id = player),
    (SELECT claims FROM treasure.wallets WHERE player_id = player),
    (SELECT coins_awarded FROM treasure.wallets WHERE player_id = player),
    (SELECT count(*) FROM treasure.claim_events WHERE player_id = player),
    (SELECT string_agg(balance_after::text, ',' ORDER BY claim_id) FROM treasure.claim_events WHERE player_id = player),
    (SELECT string_agg(item || ':' || qty, ',' ORDER BY item) FROM treasure.inventories WHERE player_id = player),
    (SELECT string_agg(chest_id || '/' || coins_awarded || '/' || COALESCE(item_awarded, '-') || '/'
                       || COALESCE(item_qty::text, '-'), ',' ORDER BY chest_id)
       FROM treasure.claims WHERE player_id = player))
$$;

\i tests/regress/include/took.sql

SELECT treasure.put_chest(1, 10);
SELECT treasure.put_chest(2, 20, 'gem', 3);
SELECT treasure.put_chest(3, 30);
SELECT treasure.put_chest(4, 40, 'gem');
SELECT treasure.put_chest(5, 50);
SELECT treasure.put_chest(6, 60);

-- The direct path: a new wallet, then the existing one; a new inventory row, then the existing one.
SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance
  FROM claim_treasure(1, 1, '00000000-0000-0000-0000-00000000d001', 77);
SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance
  FROM claim_treasure(1, 2, '00000000-0000-0000-0000-00000000d002');
SELECT status, replayed, coins_awarded, item_awarded, item_qty, balance
  FROM claim_treasure(1, 4, '00000000-0000-0000-0000-00000000d004');
SELECT pg_temp.took('direct');
SELECT session_id FROM treasure.claims WHERE request_id = '00000000-0000-0000-0000-00000000d001';
-- The setting exists once the library is loaded, on by default, and any session may change it.
SELECT boot_val, context, vartype FROM pg_settings WHERE name = 'treasure.direct_claims';
-- Which path took the last claim is shown by a read-only setting.
SELECT boot_val, context, vartype FROM pg_settings WHERE name = 'treasure.last_claim_path';
SELECT pg_temp.error_of($$SET treasure.last_claim_path = 'direct'$$);
-- Refused claims and replays.
SELECT status, replayed, coins_awarded, balance FROM claim_treasure(1, 1, '00000000-0000-0000-0000-00000000d009');
SELECT status, replayed, coins_awarded, item_awarded, balance
  FROM claim_treasure(1, 2, '00000000-0000-0000-0000-00000000d002');
SELECT pg_temp.took('direct');
SELECT pg_temp.player(1);

-- Several claims in one statement see each other's writes, as they do when each runs its statements.
SELECT c.chest, r.status, r.balance
  FROM (VALUES (3, '00000000-0000-0000-0000-00000000d103'::uuid), (5, '00000000-0000-0000-0000-00000000d105'),
               (3, '00000000-0000-0000-0000-00000000d113')) AS c(chest, request),
       LATERAL claim_treasure(2, c.chest, c.request) r;
SELECT pg_temp.took('direct');
SELECT pg_temp.player(2);

-- A transaction that rolls back leaves nothing; one that claims twice sees its first claim.
BEGIN;
SELECT status, balance FROM claim_treasure(3, 1, '00000000-0000-0000-0000-00000000d201');
SELECT status, balance FROM claim_treasure(3, 2, '00000000-0000-0000-0000-00000000d202');
SELECT status, balance FROM claim_treasure(3, 1, '00000000-0000-0000-0000-00000000d203');
ROLLBACK;
SELECT pg_temp.player(3);

-- A savepoint rolled back after a direct claim undoes it, and the claim can be made again.
BEGIN;
SAVEPOINT tap;
SELECT status, balance FROM claim_treasure(3, 5, '00000000-0000-0000-0000-00000000d205');
ROLLBACK TO SAVEPOINT tap;
SELECT status, balance FROM claim_treasure(3, 5, '00000000-0000-0000-0000-00000000d206');
SELECT pg_temp.took('direct');
COMMIT;
SELECT pg_temp.player(3);

-- A trigger someone adds to a claim table must fire: the direct path leaves such tables to the statements.
CREATE TABLE pg_temp.audit (chest_id bigint);
CREATE FUNCTION pg_temp.audit_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pg_temp.audit VALUES (NEW.chest_id);
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_claim AFTER INSERT ON treasure.claims FOR EACH ROW EXECUTE FUNCTION pg_temp.audit_claim();
SELECT status, balance FROM claim_treasure(4, 1, '00000000-0000-0000-0000-00000000d301');
SELECT pg_temp.took('statements');
SELECT * FROM pg_temp.audit;
DROP TRIGGER audit_claim ON treasure.claims;

-- A rule on a claim table: the statements' ON CONFLICT refuses to run (0A000), and so does the claim.
CREATE RULE claims_noted AS ON INSERT TO treasure.claims DO ALSO NOTIFY claims_noted;
SELECT pg_temp.error_of($$SELECT claim_treasure(4, 6, '00000000-0000-0000-0000-00000000d309')$$);
SELECT pg_temp.took('statements');
DROP RULE claims_noted ON treasure.claims;

-- Changes to the tables the statements would honour, and so must the claim: the direct path steps aside.
-- A different default for claim_id: the statements use it.
ALTER TABLE treasure.claims ALTER claim_id SET DEFAULT nextval('treasure.claim_id_seq') * 100 + 7;
SELECT status, claim_id % 100 AS claim_id_ends_with FROM claim_treasure(11, 1, '00000000-0000-0000-0000-00000000d701');
SELECT pg_temp.took('statements');
ALTER TABLE treasure.claims ALTER claim_id SET DEFAULT nextval('treasure.claim_id_seq');
-- A counter that may be NULL: NULL + 1 stays NULL in the statements.
ALTER TABLE treasure.wallets ALTER claims DROP NOT NULL;
UPDATE treasure.wallets SET claims = NULL WHERE player_id = 11;
SELECT status, balance FROM claim_treasure(11, 2, '00000000-0000-0000-0000-00000000d702');
SELECT pg_temp.took('statements');
SELECT claims FROM treasure.wallets WHERE player_id = 11;
UPDATE treasure.wallets SET claims = 2 WHERE player_id = 11;
ALTER TABLE treasure.wallets ALTER claims SET NOT NULL;
-- A column with a typmod: the statements round the time to it.
ALTER TABLE treasure.claims ALTER claimed_at TYPE timestamptz(0);
SELECT status FROM claim_treasure(11, 3, '00000000-0000-0000-0000-00000000d703');
SELECT pg_temp.took('statements');
SELECT extract(microseconds FROM claimed_at)::bigint % 1000000 AS fraction
  FROM treasure.claims WHERE request_id = '00000000-0000-0000-0000-00000000d703';
ALTER TABLE treasure.claims ALTER claimed_at TYPE timestamptz;
-- A second unique index on the inventory's key, with a case-insensitive collation: ON CONFLICT (player_id,
-- item) infers it too, so the claim adds to the player's 'GEM' row instead of failing on it.
CREATE COLLATION pg_temp.case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT treasure.grant_item(12, 'GEM', 1);
CREATE UNIQUE INDEX inventories_item_any_case ON treasure.inventories (player_id, item COLLATE pg_temp.case_insensitive);
SELECT status, item_awarded, item_qty FROM claim_treasure(12, 4, '00000000-0000-0000-0000-00000000d704');
SELECT pg_temp.took('direct');
SELECT item, qty FROM treasure.inventories WHERE player_id = 12 ORDER BY item;
DROP INDEX treasure.inventories_item_any_case;
-- A wallet key that is not player_id alone: the statements' ON CONFLICT (player_id) finds no arbiter (42P10).
ALTER TABLE treasure.wallets DROP CONSTRAINT wallets_pkey, ADD PRIMARY KEY (player_id, balance);
SELECT pg_temp.error_of($$SELECT claim_treasure(11, 5, '00000000-0000-0000-0000-00000000d705')$$);
SELECT pg_temp.took('statements');
ALTER TABLE treasure.wallets DROP CONSTRAINT wallets_pkey, ADD PRIMARY KEY (player_id);
SELECT pg_temp.player(11);
SELECT pg_temp.player(12);
-- With everything restored, the direct path claims again.
SELECT status, balance FROM claim_treasure(11, 5, '00000000-0000-0000-0000-00000000d706');
SELECT pg_temp.took('direct');

-- Row-level security switched on: left to the statements (the owner, which claims run as, is exempt).
ALTER TABLE treasure.wallets ENABLE ROW LEVEL SECURITY;
SELECT status, balance FROM claim_treasure(4, 2, '00000000-0000-0000-0000-00000000d302');
SELECT pg_temp.took('statements');
ALTER TABLE treasure.wallets DISABLE ROW LEVEL SECURITY;

-- A CHECK constraint the direct path's rows break: the same error (23514) and nothing written.
-- Player 4 holds 30 coins and 3 gems: an updated wallet, an updated inventory row, then a new wallet.
SELECT treasure.put_chest(8, 500);
ALTER TABLE treasure.wallets ADD CONSTRAINT balance_cap CHECK (balance <= 70);
ALTER TABLE treasure.inventories ADD CONSTRAINT gem_cap CHECK (qty < 4) NOT VALID;
SELECT pg_temp.error_of($$SELECT claim_treasure(4, 5, '00000000-0000-0000-0000-00000000d304')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(4, 4, '00000000-0000-0000-0000-00000000d305')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(7, 8, '00000000-0000-0000-0000-00000000d306')$$);
SELECT pg_temp.took('direct');
ALTER TABLE treasure.wallets DROP CONSTRAINT balance_cap;
ALTER TABLE treasure.inventories DROP CONSTRAINT gem_cap;
SELECT pg_temp.player(4);
SELECT pg_temp.player(7);

-- A CHECK that calls an SQL function, which the executor inlines when it prepares the check: a claim must
-- check what the function says now, also in a session that claimed under the function's old body.
CREATE FUNCTION public.balance_limit() RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 1000::bigint';
ALTER TABLE treasure.wallets ADD CONSTRAINT balance_limit CHECK (balance <= public.balance_limit());
SELECT status, balance FROM claim_treasure(20, 1, '00000000-0000-0000-0000-00000000d321');
CREATE OR REPLACE FUNCTION public.balance_limit() RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 15::bigint';
SELECT pg_temp.error_of($$SELECT claim_treasure(20, 3, '00000000-0000-0000-0000-00000000d322')$$);
CREATE OR REPLACE FUNCTION public.balance_limit() RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 1000::bigint';
SELECT status, balance FROM claim_treasure(20, 3, '00000000-0000-0000-0000-00000000d323');
SELECT pg_temp.took('direct');
ALTER TABLE treasure.wallets DROP CONSTRAINT balance_limit;
DROP FUNCTION public.balance_limit();
SELECT pg_temp.player(20);

-- CHECKs that the direct path leaves ExecConstraints to prepare on every claim, as the statements do: one
-- that reads the whole row, and one that calls a PL/pgSQL function.  A claim that breaks one, caught here by a
-- subtransaction, leaves the next claim of the session unharmed.
CREATE FUNCTION public.small_enough(balance bigint) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN RETURN balance < 100; END $$;
ALTER TABLE treasure.wallets ADD CONSTRAINT small_enough CHECK (public.small_enough(balance)) NOT VALID,
                             ADD CONSTRAINT any_row CHECK (wallets IS DISTINCT FROM NULL);
SELECT status, balance FROM claim_treasure(21, 1, '00000000-0000-0000-0000-00000000d331');
SELECT pg_temp.took('direct');
SELECT status, balance FROM claim_treasure(21, 5, '00000000-0000-0000-0000-00000000d335');
SELECT pg_temp.error_of($$SELECT claim_treasure(21, 6, '00000000-0000-0000-0000-00000000d336')$$);
SELECT pg_temp.took('direct');
SELECT status, balance FROM claim_treasure(21, 3, '00000000-0000-0000-0000-00000000d333');
ALTER TABLE treasure.wallets DROP CONSTRAINT small_enough, DROP CONSTRAINT any_row;
DROP FUNCTION public.small_enough(bigint);
SELECT pg_temp.player(21);

-- A CHECK that cannot be prepared (1 / 0 is folded when it is) fails the claims that write a wallet, but not
-- a refused one, which checks nothing.
ALTER TABLE treasure.wallets ADD CONSTRAINT broken CHECK (balance > 1 / 0) NOT VALID;
SELECT status, replayed, balance FROM claim_treasure(1, 1, '00000000-0000-0000-0000-00000000d340');
SELECT pg_temp.took('direct');
SELECT pg_temp.error_of($$SELECT claim_treasure(22, 1, '00000000-0000-0000-0000-00000000d341')$$);
ALTER TABLE treasure.wallets DROP CONSTRAINT broken;
SELECT pg_temp.player(22);

-- A unique index someone adds is no arbiter: the wallet is upserted ON CONFLICT (player_id), as by the
-- statements, so a new wallet that breaks the other index is an error (23505), not an update of another
-- player's wallet.
CREATE UNIQUE INDEX wallets_one_rich_player ON treasure.wallets (balance) WHERE balance >= 500;
SELECT status, balance FROM claim_treasure(7, 8, '00000000-0000-0000-0000-00000000d307');
SELECT pg_temp.error_of($$SELECT claim_treasure(9, 8, '00000000-0000-0000-0000-00000000d308')$$);
SELECT pg_temp.took('direct');
DROP INDEX treasure.wallets_one_rich_player;
SELECT pg_temp.player(7);
SELECT pg_temp.player(9);

-- A read-only transaction gets the statements' error (25006) and writes nothing.
BEGIN READ ONLY;
SELECT pg_temp.error_of($$SELECT claim_treasure(5, 1, '00000000-0000-0000-0000-00000000d401')$$);
SELECT pg_temp.took('statements');
ROLLBACK;
-- REPEATABLE READ: claimed by the statements (a conflict there is a serialization failure, 40001).
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT status, balance FROM claim_treasure(5, 1, '00000000-0000-0000-0000-00000000d402');
SELECT pg_temp.took('statements');
COMMIT;
SELECT pg_temp.player(5);

-- Switched off, the statements claim, with the same effects.
SET treasure.direct_claims = off;
SELECT status, replayed, coins_awarded, item_awarded, item_qty, balance
  FROM claim_treasure(6, 2, '00000000-0000-0000-0000-00000000d502');
SELECT status, replayed, coins_awarded, item_awarded, item_qty, balance
  FROM claim_treasure(6, 4, '00000000-0000-0000-0000-00000000d504');
RESET treasure.direct_claims;
SELECT status, replayed, coins_awarded, item_awarded, item_qty, balance
  FROM claim_treasure(6, 2, '00000000-0000-0000-0000-00000000d502');
SELECT pg_temp.player(6);

-- A column the direct path does not know: left to the statements, which name their columns.  Dropping it
-- leaves a dropped column behind, so the direct path keeps declining in this database: this comes last.
ALTER TABLE treasure.claim_events ADD COLUMN note text DEFAULT 'noted';
SELECT status, balance FROM claim_treasure(10, 3, '00000000-0000-0000-0000-00000000d603');
SELECT pg_temp.took('statements');
SELECT chest_id, note FROM treasure.claim_events WHERE player_id = 10 ORDER BY chest_id;
ALTER TABLE treasure.claim_events DROP COLUMN note;
SELECT pg_temp.player(10);

-- Nothing the direct path wrote disagrees with the ledger.
SELECT * FROM treasure.reconcile();
