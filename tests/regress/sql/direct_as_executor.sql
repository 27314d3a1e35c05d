-- The direct path writes rows the way PostgreSQL's executor would (extension/README.md lists each point):
-- every case here must give the statements' result, with the direct path on and off.  It runs before
-- direct_claims, which leaves the tables to the statements for good.
\pset null '(null)'
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants RESTART IDENTITY;

\i tests/regress/include/error_of.sql
\i tests/regress/include/took.sql

SELECT treasure.put_chest(1, 10);
SELECT treasure.put_chest(2, 20, 'gem', 2);
SELECT treasure.put_chest(3, 30, 'gem');
SELECT treasure.put_chest(4, 40, key_item => 'golden_key');
SELECT treasure.put_chest(5, 50);

-- A CHECK may read tableoid, the one system column PostgreSQL allows there.  One on every table a claim
-- writes: the claim, a new wallet and a new inventory row, then the existing ones, the event, the key.
ALTER TABLE treasure.claims ADD CONSTRAINT in_claims CHECK (tableoid = 'treasure.claims'::regclass);
ALTER TABLE treasure.wallets ADD CONSTRAINT in_wallets CHECK (tableoid = 'treasure.wallets'::regclass);
ALTER TABLE treasure.claim_events ADD CONSTRAINT in_events CHECK (tableoid = 'treasure.claim_events'::regclass);
ALTER TABLE treasure.inventories ADD CONSTRAINT in_inventories CHECK (tableoid = 'treasure.inventories'::regclass);
SELECT status, coins_awarded, item_awarded, item_qty, balance
  FROM claim_treasure(1, 2, '00000000-0000-0000-0000-00000000e001');
SELECT pg_temp.took('direct');
SELECT status, coins_awarded, item_awarded, item_qty, balance
  FROM claim_treasure(1, 3, '00000000-0000-0000-0000-00000000e002');
SELECT pg_temp.took('direct');
SELECT treasure.grant_item(1, 'golden_key', 1);
SELECT status, coins_awarded, key_used, balance FROM claim_treasure(1, 4, '00000000-0000-0000-0000-00000000e003');
SELECT pg_temp.took('direct');
SELECT item, qty FROM treasure.inventories WHERE player_id = 1 ORDER BY item;
-- And a CHECK on tableoid that fails still fails, with the statements' error.
ALTER TABLE treasure.claim_events ADD CONSTRAINT not_in_events CHECK (tableoid <> 'treasure.claim_events'::regclass) NOT VALID;
SELECT pg_temp.error_of($$SELECT claim_treasure(1, 1, '00000000-0000-0000-0000-00000000e004')$$);
SELECT pg_temp.took('direct');
ALTER TABLE treasure.claims DROP CONSTRAINT in_claims;
ALTER TABLE treasure.wallets DROP CONSTRAINT in_wallets;
ALTER TABLE treasure.claim_events DROP CONSTRAINT in_events, DROP CONSTRAINT not_in_events;
ALTER TABLE treasure.inventories DROP CONSTRAINT in_inventories;

-- A row written twice by one claim: with a case-insensitive unique index on the inventory, a chest that
-- takes the key 'gem' and gives 'GEM' updates the key's row and then conflicts with that new version.  The
-- statements' ON CONFLICT DO UPDATE raises 21000 for it, and so must the direct path.
CREATE COLLATION pg_temp.case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE UNIQUE INDEX inventories_item_any_case ON treasure.inventories (player_id, item COLLATE pg_temp.case_insensitive);
SELECT treasure.put_chest(6, 60, 'GEM', key_item => 'gem');
SELECT treasure.grant_item(2, 'gem', 2);
SELECT pg_temp.error_of($$SELECT claim_treasure(2, 6, '00000000-0000-0000-0000-00000000e005')$$);
SELECT pg_temp.took('direct');
DROP INDEX treasure.inventories_item_any_case;
SELECT status, item_awarded, key_used FROM claim_treasure(2, 6, '00000000-0000-0000-0000-00000000e005');
SELECT item, qty FROM treasure.inventories WHERE player_id = 2 ORDER BY item;

-- The key's row is found again by the type's equality, not by its bytes: without the length checks a long
-- key is stored compressed in the chest and plain in the inventory, and the claim must still take it.
ALTER TABLE treasure.chests DROP CONSTRAINT chests_key_item_check, DROP CONSTRAINT chests_item_check;
INSERT INTO treasure.chests (chest_id, coins, item, key_item) VALUES (7, 70, repeat('i', 1400), repeat('k', 1500));
SELECT pg_column_compression(key_item) FROM treasure.chests WHERE chest_id = 7;
INSERT INTO treasure.wallets (player_id, balance) VALUES (3, 0);
INSERT INTO treasure.inventories (player_id, item, qty) VALUES (3, repeat('k', 1500), 1);
SELECT status, length(key_used) AS key_length, balance FROM claim_treasure(3, 7, '00000000-0000-0000-0000-00000000e006');
SELECT pg_temp.took('direct');
SELECT length(item), qty FROM treasure.inventories WHERE player_id = 3 ORDER BY item;
-- Inserted around grant_item() (which checks the name), so they leave with the chest.
DELETE FROM treasure.claim_events WHERE player_id = 3;
DELETE FROM treasure.claims WHERE player_id = 3;
DELETE FROM treasure.claim_awards WHERE player_id = 3;
DELETE FROM treasure.inventories WHERE player_id = 3;
DELETE FROM treasure.wallets WHERE player_id = 3;
DELETE FROM treasure.chests WHERE chest_id = 7;
ALTER TABLE treasure.chests ADD CONSTRAINT chests_item_check CHECK (item ~ '\S' AND char_length(item) <= 128),
                            ADD CONSTRAINT chests_key_item_check CHECK (key_item ~ '\S' AND char_length(key_item) <= 128);

-- A partition's constraint: claim_events attached as a partition of events for chests 1 to 99.  The
-- statements check it; the direct path leaves partitions to them.
CREATE TABLE public.all_events (LIKE treasure.claim_events) PARTITION BY RANGE (chest_id);
ALTER TABLE public.all_events ATTACH PARTITION treasure.claim_events FOR VALUES FROM (1) TO (100);
SELECT treasure.put_chest(150, 15);
SELECT pg_temp.error_of($$SELECT claim_treasure(4, 150, '00000000-0000-0000-0000-00000000e007')$$);
SELECT pg_temp.took('statements');
SELECT status, balance FROM claim_treasure(4, 5, '00000000-0000-0000-0000-00000000e008');
SELECT pg_temp.took('statements');
ALTER TABLE public.all_events DETACH PARTITION treasure.claim_events;
DROP TABLE public.all_events;

-- An identity column: the statements take event_id from it; the direct path, which only knows the
-- installed default, leaves the claim to them.
ALTER TABLE treasure.claim_events ALTER event_id DROP DEFAULT;
ALTER TABLE treasure.claim_events ALTER event_id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 900001);
SELECT status, balance FROM claim_treasure(4, 1, '00000000-0000-0000-0000-00000000e009');
SELECT pg_temp.took('statements');
SELECT event_id FROM treasure.claim_events WHERE player_id = 4 AND chest_id = 1;
ALTER TABLE treasure.claim_events ALTER event_id DROP IDENTITY;
ALTER TABLE treasure.claim_events ALTER event_id SET DEFAULT nextval('treasure.event_id_seq');
SELECT status, balance FROM claim_treasure(4, 2, '00000000-0000-0000-0000-00000000e010');
SELECT pg_temp.took('direct');

-- A table published for updates without a replica identity: updating an existing wallet fails (55000) on
-- both paths, as logical replication's own apply checks it (CheckCmdReplicaIdentity).
ALTER TABLE treasure.wallets REPLICA IDENTITY NOTHING;
SET client_min_messages = error;  -- not the warning about wal_level, which depends on the cluster
CREATE PUBLICATION regress_wallets FOR TABLE treasure.wallets;
RESET client_min_messages;
SELECT pg_temp.error_of($$SELECT claim_treasure(4, 3, '00000000-0000-0000-0000-00000000e013')$$);
SELECT pg_temp.took('direct');
DROP PUBLICATION regress_wallets;
ALTER TABLE treasure.wallets REPLICA IDENTITY DEFAULT;

-- A deferrable unique constraint, which ON CONFLICT treats its own way, is checked by a trigger: the direct
-- path leaves such a table to the statements.
ALTER TABLE treasure.wallets ADD CONSTRAINT one_wallet_later UNIQUE (player_id) DEFERRABLE;
SELECT status, balance FROM claim_treasure(4, 3, '00000000-0000-0000-0000-00000000e014');
SELECT pg_temp.took('statements');
ALTER TABLE treasure.wallets DROP CONSTRAINT one_wallet_later;

-- The privileges a failed CHECK's detail depends on: the executor shows the whole row to a user who may
-- read the table.  Owned by a role that may write claim_events but not read it, claim_treasure() is left to
-- the statements.
CREATE ROLE regress_treasure_owner;
GRANT USAGE ON SCHEMA treasure TO regress_treasure_owner;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA treasure TO regress_treasure_owner;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA treasure TO regress_treasure_owner;
REVOKE SELECT ON treasure.claim_events FROM regress_treasure_owner;
ALTER FUNCTION claim_treasure(bigint, bigint, uuid, bigint) OWNER TO regress_treasure_owner;
SELECT status, balance FROM claim_treasure(5, 1, '00000000-0000-0000-0000-00000000e011');
SELECT pg_temp.took('statements');
GRANT SELECT ON treasure.claim_events TO regress_treasure_owner;
SELECT status, balance FROM claim_treasure(5, 2, '00000000-0000-0000-0000-00000000e012');
SELECT pg_temp.took('direct');
ALTER FUNCTION claim_treasure(bigint, bigint, uuid, bigint) OWNER TO CURRENT_USER;
DROP OWNED BY regress_treasure_owner;
DROP ROLE regress_treasure_owner;

SELECT * FROM treasure.reconcile();
