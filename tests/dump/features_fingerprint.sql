-- One md5 per table treasure 1.3.0 added (rows in a fixed order): with data_fingerprint.sql, two databases
-- with the same fingerprints hold the same data.  Used by tests/dump (tests/upgrade runs versions without them).
SELECT 'claim_awards '    || md5(string_agg(t::text, ',' ORDER BY player_id, claim_id, source, item)) FROM treasure.claim_awards t;
SELECT 'claim_loot '      || md5(string_agg(t::text, ',' ORDER BY player_id, claim_id, roll)) FROM treasure.claim_loot t;
SELECT 'chest_items '     || md5(string_agg(t::text, ',' ORDER BY chest_id, item)) FROM treasure.chest_items t;
SELECT 'loot_tables '     || md5(string_agg(t::text, ',' ORDER BY chest_id)) FROM treasure.loot_tables t;
SELECT 'loot_seeds '      || md5(string_agg(t::text, ',' ORDER BY chest_id)) FROM treasure.loot_seeds t;
SELECT 'stock_slots '     || md5(string_agg(t::text, ',' ORDER BY chest_id, slot)) FROM treasure.stock_slots t;
SELECT 'claim_rules '     || md5(string_agg(t::text, ',' ORDER BY rule)) FROM treasure.claim_rules t;
SELECT 'item_caps '       || md5(string_agg(t::text, ',' ORDER BY item)) FROM treasure.item_caps t;
SELECT 'claim_features '  || md5(string_agg(t::text, ',' ORDER BY chest_id)) FROM treasure.claim_features t;
SELECT 'claim_reversals ' || md5(string_agg(t::text, ',' ORDER BY player_id, claim_id)) FROM treasure.claim_reversals t;
SELECT 'wallet buckets '  || md5(string_agg((t.player_id, t.claim_tokens, t.claim_tokens_at)::text, ',' ORDER BY player_id)) FROM treasure.wallets t;
