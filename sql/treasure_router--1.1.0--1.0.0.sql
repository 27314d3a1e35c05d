-- treasure_router back to 1.0.0: drops what 1.1.0 added (it holds no data; the shards keep theirs).
\echo Use "ALTER EXTENSION treasure_router UPDATE TO '1.0.0'" to load this file. \quit

DROP FUNCTION treasure.set_item_cap(text, integer);
DROP FUNCTION treasure.set_item_cap_on_every_shard(text, integer);
DROP FUNCTION treasure.set_wallet_cap(bigint);
DROP FUNCTION treasure.set_wallet_cap_on_every_shard(bigint);
DROP FUNCTION treasure.set_claim_limit(integer, interval);
DROP FUNCTION treasure.set_claim_limit_on_every_shard(integer, interval);
DROP FUNCTION treasure.chest_stock(bigint);
DROP FUNCTION treasure.chest_stock_on_every_shard(bigint);
DROP FUNCTION treasure.set_stock(bigint, bigint);
DROP FUNCTION treasure.set_stock_on_shard(integer, bigint, bigint);
DROP FUNCTION treasure.put_loot(bigint, integer, jsonb, text);
DROP FUNCTION treasure.put_loot_on_every_shard(bigint, integer, jsonb, text);
DROP FUNCTION treasure.put_chest_item(bigint, text, integer);
DROP FUNCTION treasure.put_chest_item_on_every_shard(bigint, text, integer);
DROP FUNCTION treasure.shard_count();
DROP FUNCTION treasure.explain_claim(bigint, uuid);
DROP FUNCTION treasure.reverse_claim(bigint, uuid, text, boolean);
DROP FUNCTION treasure.claim_details(bigint, bigint, text);
