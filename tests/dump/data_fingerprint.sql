-- One md5 per treasure table (rows in a fixed order) plus the claim count: two databases with the same
-- fingerprint hold the same data.  Used by tests/dump and tests/upgrade.
SELECT 'chests '       || md5(string_agg(t::text, ',' ORDER BY chest_id)) FROM treasure.chests t;
-- The wallet's balance only: the analytics counters it carries since 1.2.0 are compared as player_stats.
SELECT 'wallets '      || md5(string_agg((t.player_id, t.balance)::text, ',' ORDER BY player_id)) FROM treasure.wallets t;
SELECT 'inventories '  || md5(string_agg(t::text, ',' ORDER BY player_id, item)) FROM treasure.inventories t;
SELECT 'claims '       || md5(string_agg(t::text, ',' ORDER BY claim_id)) FROM treasure.claims t;
SELECT 'claim_events ' || md5(string_agg(t::text, ',' ORDER BY event_id)) FROM treasure.claim_events t;
SELECT 'player_stats ' || md5(string_agg(t::text, ',' ORDER BY player_id)) FROM treasure.player_stats t;
SELECT 'item_grants '  || md5(string_agg(t::text, ',' ORDER BY grant_id)) FROM treasure.item_grants t;
SELECT 'rows '         || (SELECT count(*) FROM treasure.claims) || ' claims';
