-- treasure 1.2.0 -> 1.3.0: chests as games design them.  Bundles (treasure.chest_items), weighted loot that
-- a retry reproduces exactly (treasure.loot_tables, the roll a pure function of player, chest, table
-- version and a secret seed), limited prizes (stock split over several rows per chest), a per-player claim
-- limit (a token bucket on the wallet row), wallet and item caps, and reversals.  Every award is recorded in
-- treasure.claim_awards.  A chest that uses none of it, while no limit and no cap is set, is claimed exactly
-- as in 1.2.0 (claim_treasure()'s own statements); any other claim runs treasure.claim_featured().
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.3.0'" to load this file. \quit

-- Every item a claim awarded: one row per (claim, source, item).
CREATE TABLE treasure.claim_awards (
  player_id bigint NOT NULL,
  claim_id  bigint NOT NULL,
  item      text NOT NULL,
  qty       integer NOT NULL CHECK (qty > 0),
  source    text NOT NULL CHECK (source IN ('guaranteed', 'loot')),
  PRIMARY KEY (player_id, claim_id, source, item)
);
COMMENT ON TABLE treasure.claim_awards IS
  'Every item a claim awarded (source guaranteed: put_chest''s item and put_chest_item''s; loot: its rolls, qty summed per item), written in the claim''s transaction';
INSERT INTO treasure.claim_awards (player_id, claim_id, source, item, qty)
SELECT k.player_id, k.claim_id, 'guaranteed', k.item_awarded, k.item_qty
  FROM treasure.claims k WHERE k.item_awarded IS NOT NULL;

-- Every loot roll of a claim, as it was drawn: explain_claim() and claim_details() read it, so changing a
-- loot table never changes an earlier claim's story.
CREATE TABLE treasure.claim_loot (
  player_id    bigint NOT NULL,
  claim_id     bigint NOT NULL,
  roll         integer NOT NULL,
  entry        integer NOT NULL,
  item         text,
  qty          integer,
  coins        bigint NOT NULL,
  weight       integer NOT NULL,
  total_weight integer NOT NULL,
  draw         bigint NOT NULL,
  PRIMARY KEY (player_id, claim_id, roll)
);
COMMENT ON TABLE treasure.claim_loot IS 'Each loot roll of a claim: the entry drawn, its award, and the draw among the weights then available';

-- Guaranteed items besides put_chest's own.
CREATE TABLE treasure.chest_items (
  chest_id bigint NOT NULL,
  item     text NOT NULL CHECK (item ~ '\S' AND char_length(item) <= 128),
  qty      integer NOT NULL CHECK (qty > 0),
  PRIMARY KEY (chest_id, item)
);
COMMENT ON TABLE treasure.chest_items IS 'Guaranteed items of a chest besides put_chest''s own item (put_chest_item())';

CREATE TABLE treasure.loot_tables (
  chest_id bigint PRIMARY KEY,
  version  integer NOT NULL CHECK (version > 0),
  rolls    integer NOT NULL CHECK (rolls BETWEEN 1 AND 32),
  entries  jsonb NOT NULL
);
COMMENT ON TABLE treasure.loot_tables IS
  'A chest''s weighted loot table (put_loot()): rolls per claim and entries {item, qty, coins, weight, max_repeats}; version grows with every change';

-- The secret of the roll.  Only the extension's owner reads it (no grant ever names this table).
CREATE TABLE treasure.loot_seeds (
  chest_id bigint PRIMARY KEY,
  seed     text NOT NULL
);
COMMENT ON TABLE treasure.loot_seeds IS
  'The secret seed of each loot table: the roll is sha256(seed, player, chest, version, roll); readable by the owner only, kept in dumps';

-- Stock: a chest's stock split over up to 8 rows, each with its own capacity, so that concurrent winners
-- lock different rows; a claim takes a unit from the first row with one left, starting at a row chosen by
-- its player_id, skipping rows other claims hold, and waits only when every row with units is held.
CREATE TABLE treasure.stock_slots (
  chest_id bigint NOT NULL,
  slot     integer NOT NULL CHECK (slot >= 0),
  capacity bigint NOT NULL CHECK (capacity >= 0),
  taken    bigint NOT NULL CHECK (taken >= 0 AND taken <= capacity),
  PRIMARY KEY (chest_id, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE treasure.stock_slots IS
  'A limited chest''s stock, split over several rows (slots) so that no single row is hot: stock = sum(capacity), claimed = sum(taken)';

-- The database-wide rules: the claim limit and the wallet cap (a row only while set).
CREATE TABLE treasure.claim_rules (
  rule        text PRIMARY KEY CHECK (rule IN ('claim_limit', 'wallet_cap')),
  max_claims  integer CHECK (max_claims > 0),
  per         interval CHECK (per > interval '0'),
  max_balance bigint CHECK (max_balance >= 0),
  CHECK (rule <> 'claim_limit' OR (max_claims IS NOT NULL AND per IS NOT NULL)),
  CHECK (rule <> 'wallet_cap' OR max_balance IS NOT NULL)
);
COMMENT ON TABLE treasure.claim_rules IS 'The claim limit (token bucket per player) and the wallet cap, one row each while set';

CREATE TABLE treasure.item_caps (
  item    text PRIMARY KEY,
  max_qty integer NOT NULL CHECK (max_qty >= 0)
);
COMMENT ON TABLE treasure.item_caps IS 'Per-item cap on a player''s inventory quantity (set_item_cap())';

-- How each claim is routed, kept by the admin functions and read by key on every claim.  A chest's row:
-- featured (items or loot: treasure.claim_featured() claims it) and its stock slots.  Row 0, while any
-- database-wide rule is set: the claim limit (max_claims per refill_seconds, the seconds of its `per`), the
-- wallet cap, and whether an item cap is set (then a chest that awards an item is featured).
CREATE TABLE treasure.claim_features (
  chest_id       bigint PRIMARY KEY CHECK (chest_id >= 0),
  featured       boolean NOT NULL DEFAULT false,
  stock_slots    integer NOT NULL DEFAULT 0 CHECK (stock_slots BETWEEN 0 AND 8),
  max_claims     integer CHECK (max_claims > 0),
  refill_seconds double precision CHECK (refill_seconds > 0),
  max_balance    bigint CHECK (max_balance >= 0),
  CHECK ((max_claims IS NULL) = (refill_seconds IS NULL))
);
COMMENT ON TABLE treasure.claim_features IS
  'How claims are routed: a chest''s items or loot (featured) and stock slots; row 0: the claim limit, the wallet cap and whether item caps are set';

CREATE TABLE treasure.claim_reversals (
  player_id     bigint NOT NULL,
  claim_id      bigint NOT NULL,
  reversal_id   bigint NOT NULL,
  coins_taken   bigint NOT NULL CHECK (coins_taken >= 0),
  items_taken   jsonb NOT NULL,
  key_returned  text,
  shortfall     jsonb,
  balance_after bigint NOT NULL,
  reason        text NOT NULL,
  reversed_by   name NOT NULL,
  reversed_at   timestamptz NOT NULL,
  PRIMARY KEY (player_id, claim_id),
  UNIQUE (reversal_id)
);
COMMENT ON TABLE treasure.claim_reversals IS
  'One row per reversed claim: what was taken back, the key returned, the shortfall a forced reversal could not take, who (session_user) and why; its claim_events row has claim_id = reversal_id';

-- The claim limit's bucket, on the row every claim updates anyway.  NULL: a full bucket.
ALTER TABLE treasure.wallets
  ADD COLUMN claim_tokens double precision,
  ADD COLUMN claim_tokens_at timestamptz;
COMMENT ON COLUMN treasure.wallets.claim_tokens IS 'Claim limit: tokens left in the player''s bucket at claim_tokens_at (NULL: full)';
COMMENT ON COLUMN treasure.wallets.claim_tokens_at IS 'Claim limit: when claim_tokens was last computed';

SELECT pg_catalog.pg_extension_config_dump('treasure.claim_awards', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.claim_loot', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.chest_items', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.loot_tables', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.loot_seeds', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.stock_slots', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.claim_rules', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.item_caps', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.claim_features', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.claim_reversals', '');
REVOKE ALL ON treasure.claim_awards, treasure.claim_loot, treasure.chest_items, treasure.loot_tables,
              treasure.loot_seeds, treasure.stock_slots, treasure.claim_rules, treasure.item_caps,
              treasure.claim_features, treasure.claim_reversals FROM PUBLIC;

-- Keeps treasure.claim_features true to the configuration of one chest (0: the database-wide rules).
CREATE FUNCTION treasure.refresh_claim_features(chest_id bigint)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  f treasure.claim_features;
BEGIN
  f.chest_id := refresh_claim_features.chest_id;
  IF f.chest_id = 0 THEN
    f.featured := EXISTS (SELECT FROM treasure.item_caps);
    f.stock_slots := 0;
    SELECT r.max_claims, extract(epoch FROM r.per)::double precision INTO f.max_claims, f.refill_seconds
      FROM treasure.claim_rules r WHERE r.rule = 'claim_limit';
    f.max_balance := (SELECT r.max_balance FROM treasure.claim_rules r WHERE r.rule = 'wallet_cap');
  ELSE
    f.featured := EXISTS (SELECT FROM treasure.chest_items i WHERE i.chest_id = f.chest_id)
               OR EXISTS (SELECT FROM treasure.loot_tables l WHERE l.chest_id = f.chest_id);
    f.stock_slots := (SELECT count(*) FROM treasure.stock_slots s WHERE s.chest_id = f.chest_id);
  END IF;
  IF f.featured OR f.stock_slots > 0 OR f.max_claims IS NOT NULL OR f.max_balance IS NOT NULL THEN
    INSERT INTO treasure.claim_features AS t VALUES (f.*)
    ON CONFLICT ON CONSTRAINT claim_features_pkey DO UPDATE
       SET featured = EXCLUDED.featured, stock_slots = EXCLUDED.stock_slots, max_claims = EXCLUDED.max_claims,
           refill_seconds = EXCLUDED.refill_seconds, max_balance = EXCLUDED.max_balance;
  ELSE
    DELETE FROM treasure.claim_features t WHERE t.chest_id = f.chest_id;
  END IF;
END
$$;
COMMENT ON FUNCTION treasure.refresh_claim_features(bigint) IS
  'Writes a chest''s row (0: the database-wide rules) of treasure.claim_features after its configuration changed';

CREATE FUNCTION treasure.require_chest(chest_id bigint)
  RETURNS treasure.chests
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c treasure.chests;
BEGIN
  IF require_chest.chest_id IS NULL THEN
    RAISE EXCEPTION 'chest_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = require_chest.chest_id FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'chest % does not exist', require_chest.chest_id USING ERRCODE = 'no_data_found';
  END IF;
  RETURN c;
END
$$;
COMMENT ON FUNCTION treasure.require_chest(bigint) IS 'The chest (locked FOR KEY SHARE); 22004 for NULL, P0002 for an unknown chest';

CREATE FUNCTION treasure.put_chest_item(chest_id bigint, item text, qty integer)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c treasure.chests;
BEGIN
  IF put_chest_item.chest_id IS NULL OR put_chest_item.item IS NULL OR put_chest_item.qty IS NULL THEN
    RAISE EXCEPTION 'chest_id, item and qty must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF put_chest_item.qty < 0 THEN
    RAISE EXCEPTION 'qty must not be negative, got %', put_chest_item.qty USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM treasure.check_item_name('item', put_chest_item.item);
  c := treasure.require_chest(put_chest_item.chest_id);
  IF put_chest_item.item = c.item OR put_chest_item.item = c.key_item THEN
    RAISE EXCEPTION 'item % is already the chest''s own item or its key', put_chest_item.item
      USING ERRCODE = 'invalid_parameter_value', HINT = 'put_chest() sets the chest''s own item and key.';
  END IF;
  IF put_chest_item.qty = 0 THEN
    DELETE FROM treasure.chest_items i WHERE i.chest_id = put_chest_item.chest_id AND i.item = put_chest_item.item;
  ELSE
    IF (SELECT count(*) FROM treasure.chest_items i
         WHERE i.chest_id = put_chest_item.chest_id AND i.item <> put_chest_item.item) >= 19 THEN
      RAISE EXCEPTION 'a chest holds at most 20 guaranteed items' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO treasure.chest_items AS i (chest_id, item, qty)
    VALUES (put_chest_item.chest_id, put_chest_item.item, put_chest_item.qty)
    ON CONFLICT ON CONSTRAINT chest_items_pkey DO UPDATE SET qty = EXCLUDED.qty;
  END IF;
  PERFORM treasure.refresh_claim_features(put_chest_item.chest_id);
END
$$;
COMMENT ON FUNCTION treasure.put_chest_item(bigint, text, integer) IS
  'Adds a guaranteed item to a chest or replaces its quantity (qty 0 removes it); at most 20 besides put_chest''s own; 22004, 22023, 22001, P0002';

-- The loot roll: a pure function of (player, chest, table version, seed).  Roll r draws
-- sha256(seed || '/' || player_id || '/' || chest_id || '/' || version || '/' || r), its first 60 bits
-- modulo the total weight of the entries still available (max_repeats not reached), and picks the entry
-- whose cumulative weight range holds the draw, in the table's order.
CREATE FUNCTION treasure.loot_roll(player_id bigint, chest_id bigint, version integer, seed text, rolls integer,
                                   entries jsonb)
  RETURNS TABLE (roll integer, entry integer, item text, qty integer, coins bigint, weight integer,
                 total_weight integer, draw bigint)
  LANGUAGE plpgsql IMMUTABLE STRICT
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n integer := pg_catalog.jsonb_array_length(entries);
  used integer[] := pg_catalog.array_fill(0, ARRAY[n]);
  weights integer[] := ARRAY(SELECT (e->>'weight')::integer FROM pg_catalog.jsonb_array_elements(entries) e);
  repeats integer[] := ARRAY(SELECT (e->>'max_repeats')::integer FROM pg_catalog.jsonb_array_elements(entries) e);
  total integer;
  digest bytea;
  acc integer;
  chosen jsonb;
BEGIN
  FOR r IN 1..rolls LOOP
    total := 0;
    FOR i IN 1..n LOOP
      IF repeats[i] IS NULL OR used[i] < repeats[i] THEN
        total := total + weights[i];
      END IF;
    END LOOP;
    digest := pg_catalog.sha256(pg_catalog.convert_to(
      seed || '/' || loot_roll.player_id || '/' || loot_roll.chest_id || '/' || loot_roll.version || '/' || r, 'UTF8'));
    loot_roll.draw := ('x' || pg_catalog.substr(pg_catalog.encode(digest, 'hex'), 1, 15))::bit(60)::bigint % total;
    acc := 0;
    FOR i IN 1..n LOOP
      CONTINUE WHEN NOT (repeats[i] IS NULL OR used[i] < repeats[i]);
      acc := acc + weights[i];
      IF loot_roll.draw < acc THEN
        used[i] := used[i] + 1;
        chosen := entries->(i - 1);
        loot_roll.roll := r;
        loot_roll.entry := i;
        loot_roll.item := chosen->>'item';
        loot_roll.qty := CASE WHEN chosen->>'item' IS NOT NULL THEN (chosen->>'qty')::integer END;
        loot_roll.coins := COALESCE((chosen->>'coins')::bigint, 0);
        loot_roll.weight := weights[i];
        loot_roll.total_weight := total;
        RETURN NEXT;
        EXIT;
      END IF;
    END LOOP;
  END LOOP;
END
$$;
COMMENT ON FUNCTION treasure.loot_roll(bigint, bigint, integer, text, integer, jsonb) IS
  'The loot a claim rolls: one row per roll (entry drawn, its item, qty and coins, the draw and the total weight it was drawn from); pure, so a replay, the saga path and an auditor with the seed get the same rolls';

CREATE FUNCTION treasure.put_loot(chest_id bigint, rolls integer, entries jsonb, seed text DEFAULT NULL)
  RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c treasure.chests;
  e jsonb;
  key text;
  total bigint := 0;
  capacity bigint := 0;
  unbounded boolean := false;
  new_version integer;
BEGIN
  IF put_loot.chest_id IS NULL OR put_loot.rolls IS NULL THEN
    RAISE EXCEPTION 'chest_id and rolls must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  c := treasure.require_chest(put_loot.chest_id);
  IF put_loot.rolls = 0 THEN
    DELETE FROM treasure.loot_tables l WHERE l.chest_id = put_loot.chest_id;
    DELETE FROM treasure.loot_seeds s WHERE s.chest_id = put_loot.chest_id;
    PERFORM treasure.refresh_claim_features(put_loot.chest_id);
    RETURN 0;
  END IF;
  IF put_loot.rolls NOT BETWEEN 1 AND 32 THEN
    RAISE EXCEPTION 'rolls must be between 1 and 32 (0 removes the table), got %', put_loot.rolls
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF put_loot.entries IS NULL THEN
    RAISE EXCEPTION 'entries must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF pg_catalog.jsonb_typeof(put_loot.entries) <> 'array'
     OR pg_catalog.jsonb_array_length(put_loot.entries) NOT BETWEEN 1 AND 64 THEN
    RAISE EXCEPTION 'entries must be an array of 1 to 64 entries' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF put_loot.seed IS NOT NULL AND put_loot.seed !~ '\S' THEN
    RAISE EXCEPTION 'seed must not be empty (NULL draws a random one)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR e IN SELECT x FROM pg_catalog.jsonb_array_elements(put_loot.entries) x LOOP
    IF pg_catalog.jsonb_typeof(e) <> 'object' THEN
      RAISE EXCEPTION 'each entry must be an object, got %', e USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR key IN SELECT k FROM pg_catalog.jsonb_object_keys(e) k LOOP
      IF key NOT IN ('item', 'qty', 'coins', 'weight', 'max_repeats') THEN
        RAISE EXCEPTION 'unknown key % in loot entry %', key, e USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END LOOP;
    IF pg_catalog.jsonb_typeof(e->'weight') IS DISTINCT FROM 'number' OR (e->>'weight')::numeric <> trunc((e->>'weight')::numeric)
       OR (e->>'weight')::numeric NOT BETWEEN 1 AND 2147483647 THEN
      RAISE EXCEPTION 'weight must be an integer of at least 1 in entry %', e USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF e->'item' IS NOT NULL AND pg_catalog.jsonb_typeof(e->'item') NOT IN ('string', 'null') THEN
      RAISE EXCEPTION 'item must be a string or null in entry %', e USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM treasure.check_item_name('item', e->>'item');
    IF e->>'item' = c.key_item THEN
      RAISE EXCEPTION 'loot cannot award the chest''s key (%)', c.key_item USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF e->>'item' IS NOT NULL AND (pg_catalog.jsonb_typeof(e->'qty') IS DISTINCT FROM 'number'
       OR (e->>'qty')::numeric <> trunc((e->>'qty')::numeric) OR (e->>'qty')::numeric NOT BETWEEN 1 AND 2147483647) THEN
      RAISE EXCEPTION 'qty must be an integer of at least 1 in entry % (it awards an item)', e
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF e->'qty' IS NOT NULL AND e->>'item' IS NULL AND pg_catalog.jsonb_typeof(e->'qty') NOT IN ('number', 'null') THEN
      RAISE EXCEPTION 'qty must be a number in entry %', e USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF e->'coins' IS NOT NULL AND pg_catalog.jsonb_typeof(e->'coins') <> 'null'
       AND (pg_catalog.jsonb_typeof(e->'coins') <> 'number' OR (e->>'coins')::numeric <> trunc((e->>'coins')::numeric)
            OR (e->>'coins')::numeric NOT BETWEEN 0 AND 9223372036854775807) THEN
      RAISE EXCEPTION 'coins must be an integer of at least 0 in entry %', e USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF e->'max_repeats' IS NOT NULL AND pg_catalog.jsonb_typeof(e->'max_repeats') <> 'null'
       AND (pg_catalog.jsonb_typeof(e->'max_repeats') <> 'number'
            OR (e->>'max_repeats')::numeric <> trunc((e->>'max_repeats')::numeric)
            OR (e->>'max_repeats')::numeric NOT BETWEEN 1 AND 32) THEN
      RAISE EXCEPTION 'max_repeats must be an integer from 1 to 32 in entry %', e USING ERRCODE = 'invalid_parameter_value';
    END IF;
    total := total + (e->>'weight')::bigint;
    IF e->>'max_repeats' IS NULL THEN
      unbounded := true;
    ELSE
      capacity := capacity + (e->>'max_repeats')::bigint;
    END IF;
  END LOOP;
  IF total > 2147483647 THEN
    RAISE EXCEPTION 'the weights must add up to at most 2147483647, got %', total USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT unbounded AND capacity < put_loot.rolls THEN
    RAISE EXCEPTION 'the entries'' max_repeats allow % rolls, fewer than %', capacity, put_loot.rolls
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  INSERT INTO treasure.loot_tables AS l (chest_id, version, rolls, entries)
  VALUES (put_loot.chest_id, 1, put_loot.rolls, put_loot.entries)
  ON CONFLICT ON CONSTRAINT loot_tables_pkey DO UPDATE SET version = l.version + 1, rolls = EXCLUDED.rolls, entries = EXCLUDED.entries
  RETURNING l.version INTO new_version;
  INSERT INTO treasure.loot_seeds AS s (chest_id, seed)
  VALUES (put_loot.chest_id,
          COALESCE(put_loot.seed, pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
                                  || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')))
  ON CONFLICT ON CONSTRAINT loot_seeds_pkey DO UPDATE SET seed = EXCLUDED.seed;
  PERFORM treasure.refresh_claim_features(put_loot.chest_id);
  RETURN new_version;
END
$$;
COMMENT ON FUNCTION treasure.put_loot(bigint, integer, jsonb, text) IS
  'Sets a chest''s loot table (rolls 1..32, 1..64 weighted entries) and its secret seed (NULL: a random one); returns the new version; rolls 0 removes it (returns 0); 22004, 22023, 22001, P0002';

CREATE FUNCTION treasure.set_stock(chest_id bigint, stock bigint)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  claimed bigint;
  slots integer;
  left_over bigint;
BEGIN
  PERFORM treasure.require_chest(set_stock.chest_id);
  IF set_stock.stock < 0 THEN
    RAISE EXCEPTION 'stock must not be negative, got %', set_stock.stock USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Every slot locked: no claim takes a unit while the stock is redistributed.
  PERFORM FROM treasure.stock_slots s WHERE s.chest_id = set_stock.chest_id FOR UPDATE;
  IF FOUND THEN
    claimed := (SELECT sum(s.taken) FROM treasure.stock_slots s WHERE s.chest_id = set_stock.chest_id);
  ELSE
    -- A chest limited for the first time counts the claims it already paid.
    claimed := (SELECT count(*) FROM treasure.claims k WHERE k.chest_id = set_stock.chest_id);
  END IF;
  IF set_stock.stock < claimed THEN
    RAISE EXCEPTION 'stock % is below the % claim(s) already paid from chest %', set_stock.stock, claimed,
      set_stock.chest_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM treasure.stock_slots s WHERE s.chest_id = set_stock.chest_id;
  IF set_stock.stock IS NOT NULL THEN
    left_over := set_stock.stock - claimed;
    slots := GREATEST(1, LEAST(8, left_over))::integer;
    INSERT INTO treasure.stock_slots (chest_id, slot, capacity, taken)
    SELECT set_stock.chest_id, i,
           left_over / slots + CASE WHEN i < left_over % slots THEN 1 ELSE 0 END + CASE WHEN i = 0 THEN claimed ELSE 0 END,
           CASE WHEN i = 0 THEN claimed ELSE 0 END
      FROM pg_catalog.generate_series(0, slots - 1) i;
  END IF;
  PERFORM treasure.refresh_claim_features(set_stock.chest_id);
END
$$;
COMMENT ON FUNCTION treasure.set_stock(bigint, bigint) IS
  'Limits a chest to stock paid claims (NULL: unlimited), split over up to 8 slots; below what is already claimed is 22023; 22004, P0002';

CREATE FUNCTION treasure.chest_stock(chest_id bigint)
  RETURNS TABLE (chest_id bigint, stock bigint, claimed bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.chest_id, sum(s.capacity)::bigint, COALESCE(sum(s.taken), 0)::bigint
    FROM treasure.chests c LEFT JOIN treasure.stock_slots s ON s.chest_id = c.chest_id
   WHERE c.chest_id = chest_stock.chest_id
   GROUP BY c.chest_id
$$;
COMMENT ON FUNCTION treasure.chest_stock(bigint) IS
  'A chest''s stock (NULL: unlimited) and how much of it is claimed; no row for an unknown chest';

CREATE FUNCTION treasure.set_claim_limit(max_claims integer, per interval)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF (set_claim_limit.max_claims IS NULL) <> (set_claim_limit.per IS NULL) THEN
    RAISE EXCEPTION 'max_claims and per are both NULL (no limit) or both set' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF set_claim_limit.max_claims <= 0 OR set_claim_limit.per <= interval '0' THEN
    RAISE EXCEPTION 'max_claims and per must be positive, got % per %', set_claim_limit.max_claims, set_claim_limit.per
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF set_claim_limit.max_claims IS NULL THEN
    DELETE FROM treasure.claim_rules r WHERE r.rule = 'claim_limit';
  ELSE
    INSERT INTO treasure.claim_rules AS r (rule, max_claims, per)
    VALUES ('claim_limit', set_claim_limit.max_claims, set_claim_limit.per)
    ON CONFLICT ON CONSTRAINT claim_rules_pkey DO UPDATE SET max_claims = EXCLUDED.max_claims, per = EXCLUDED.per;
  END IF;
  PERFORM treasure.refresh_claim_features(0);
END
$$;
COMMENT ON FUNCTION treasure.set_claim_limit(integer, interval) IS
  'Per-player claim limit: a token bucket of max_claims, refilled at max_claims per `per` (NULL, NULL: none); 22004, 22023';

CREATE FUNCTION treasure.set_wallet_cap(max_balance bigint)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF set_wallet_cap.max_balance < 0 THEN
    RAISE EXCEPTION 'max_balance must not be negative, got %', set_wallet_cap.max_balance
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF set_wallet_cap.max_balance IS NULL THEN
    DELETE FROM treasure.claim_rules r WHERE r.rule = 'wallet_cap';
  ELSE
    INSERT INTO treasure.claim_rules AS r (rule, max_balance) VALUES ('wallet_cap', set_wallet_cap.max_balance)
    ON CONFLICT ON CONSTRAINT claim_rules_pkey DO UPDATE SET max_balance = EXCLUDED.max_balance;
  END IF;
  PERFORM treasure.refresh_claim_features(0);
END
$$;
COMMENT ON FUNCTION treasure.set_wallet_cap(bigint) IS
  'The most coins a wallet may hold after a claim (NULL: no cap); a claim over it is refused (wallet_full), never clamped; 22023';

CREATE FUNCTION treasure.set_item_cap(item text, max_qty integer)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF set_item_cap.item IS NULL THEN
    RAISE EXCEPTION 'item must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM treasure.check_item_name('item', set_item_cap.item);
  IF set_item_cap.max_qty < 0 THEN
    RAISE EXCEPTION 'max_qty must not be negative, got %', set_item_cap.max_qty USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF set_item_cap.max_qty IS NULL THEN
    DELETE FROM treasure.item_caps c WHERE c.item = set_item_cap.item;
  ELSE
    INSERT INTO treasure.item_caps AS c (item, max_qty) VALUES (set_item_cap.item, set_item_cap.max_qty)
    ON CONFLICT ON CONSTRAINT item_caps_pkey DO UPDATE SET max_qty = EXCLUDED.max_qty;
  END IF;
  PERFORM treasure.refresh_claim_features(0);
END
$$;
COMMENT ON FUNCTION treasure.set_item_cap(text, integer) IS
  'The most of an item a player may hold after a claim (NULL: no cap); a claim over it is refused (inventory_full), never clamped; 22004, 22023, 22001';

-- The tokens in a bucket of max_claims refilled at max_claims per `per`, at time `at`.
CREATE FUNCTION treasure.claim_tokens_now(tokens double precision, tokens_at timestamptz, max_claims integer,
                                          per interval, at timestamptz)
  RETURNS double precision
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN tokens IS NULL OR tokens_at IS NULL THEN max_claims::double precision
              ELSE LEAST(max_claims::double precision,
                         tokens + GREATEST(0, extract(epoch FROM at - tokens_at)::double precision)
                                  * max_claims / extract(epoch FROM per)::double precision) END
$$;
COMMENT ON FUNCTION treasure.claim_tokens_now(double precision, timestamptz, integer, interval, timestamptz) IS
  'Tokens of a claim-limit bucket at a given time (NULL state: a full bucket)';

-- Milliseconds until the player's bucket holds a token; NULL while no limit is set or a token is there.
CREATE FUNCTION treasure.claim_retry_after_ms(player_id bigint)
  RETURNS bigint
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT GREATEST(1, ceil((1 - t.tokens) * extract(epoch FROM r.per)::double precision / r.max_claims * 1000))::bigint
    FROM treasure.claim_rules r
    LEFT JOIN treasure.wallets w ON w.player_id = claim_retry_after_ms.player_id
    CROSS JOIN LATERAL (SELECT treasure.claim_tokens_now(w.claim_tokens, w.claim_tokens_at, r.max_claims, r.per,
                                                         pg_catalog.now()) AS tokens) t
   WHERE r.rule = 'claim_limit' AND t.tokens < 1
$$;
COMMENT ON FUNCTION treasure.claim_retry_after_ms(bigint) IS
  'Milliseconds (at least 1) until the player''s claim-limit bucket holds a token; NULL without a limit or with a token';

-- The pieces of a featured claim that the saga path shares with claim_featured(), so that both judge and
-- roll alike.

-- Tokens in the player's claim-limit bucket now (from the wallet row's state); NULL while no limit is set.
CREATE FUNCTION treasure.claim_limit_tokens(tokens double precision, tokens_at timestamptz, at timestamptz)
  RETURNS double precision
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT treasure.claim_tokens_now(tokens, tokens_at, r.max_claims, r.per, at)
    FROM treasure.claim_rules r WHERE r.rule = 'claim_limit'
$$;
COMMENT ON FUNCTION treasure.claim_limit_tokens(double precision, timestamptz, timestamptz) IS
  'Tokens in a claim-limit bucket with the given state at the given time (a claim needs 1); NULL while no claim limit is set';

-- What a claim of this chest by this player awards: the coins (the chest's plus the loot's), every item
-- (guaranteed first, then loot, qty summed per item) and the loot rolls as drawn.  Pure in the roll.
CREATE FUNCTION treasure.claim_awards_of(player_id bigint, chest treasure.chests,
                                         OUT coins bigint, OUT awards jsonb, OUT rolled jsonb)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  loot treasure.loot_tables;
BEGIN
  rolled := '[]';
  SELECT * INTO loot FROM treasure.loot_tables l WHERE l.chest_id = chest.chest_id;
  IF FOUND THEN
    rolled := COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(x) ORDER BY x.roll)
                          FROM treasure.loot_roll(claim_awards_of.player_id, chest.chest_id, loot.version,
                                                  (SELECT s.seed FROM treasure.loot_seeds s WHERE s.chest_id = chest.chest_id),
                                                  loot.rolls, loot.entries) x), '[]');
  END IF;
  SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('source', a.source, 'item', a.item, 'qty', a.qty)
                                       ORDER BY a.source, a.item), '[]')
    INTO awards
    FROM (SELECT 'guaranteed'::text AS source, chest.item AS item, chest.item_qty AS qty WHERE chest.item IS NOT NULL
          UNION ALL
          SELECT 'guaranteed', ci.item, ci.qty FROM treasure.chest_items ci WHERE ci.chest_id = chest.chest_id
          UNION ALL
          SELECT 'loot', x->>'item', sum((x->>'qty')::integer)::integer
            FROM pg_catalog.jsonb_array_elements(rolled) x WHERE x->>'item' IS NOT NULL GROUP BY x->>'item') a;
  coins := chest.coins + COALESCE((SELECT sum((x->>'coins')::bigint) FROM pg_catalog.jsonb_array_elements(rolled) x), 0);
END
$$;
COMMENT ON FUNCTION treasure.claim_awards_of(bigint, treasure.chests) IS
  'What a claim of the chest by the player awards: coins (chest + loot), awards [{source, item, qty}] and the loot rolls; the same for claim_featured(), a replay and the saga path';

-- The cap a claim would break: wallet_full when the balance after it is over the wallet cap, inventory_full
-- when an awarded item would be over its cap; NULL when none.
CREATE FUNCTION treasure.claim_cap_refusal(player_id bigint, balance_after bigint, awards jsonb)
  RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
    WHEN balance_after > (SELECT r.max_balance FROM treasure.claim_rules r WHERE r.rule = 'wallet_cap') THEN 'wallet_full'
    WHEN EXISTS (SELECT FROM (SELECT a->>'item' AS item, sum((a->>'qty')::bigint) AS qty
                                FROM pg_catalog.jsonb_array_elements(awards) a GROUP BY a->>'item') a
                   JOIN treasure.item_caps ic ON ic.item = a.item
                   LEFT JOIN treasure.inventories i ON i.player_id = claim_cap_refusal.player_id AND i.item = a.item
                  WHERE COALESCE(i.qty, 0) + a.qty > ic.max_qty) THEN 'inventory_full'
  END
$$;
COMMENT ON FUNCTION treasure.claim_cap_refusal(bigint, bigint, jsonb) IS
  'wallet_full or inventory_full when a claim leaving this balance and awarding these items would break a cap, else NULL';

-- A limited chest's stock: how many slots it has (0: unlimited) and whether none has a unit left.
CREATE FUNCTION treasure.stock_state(chest_id bigint, OUT slot_count integer, OUT sold_out boolean)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT count(*)::integer, count(*) > 0 AND NOT bool_or(s.taken < s.capacity)
    FROM treasure.stock_slots s WHERE s.chest_id = stock_state.chest_id
$$;
COMMENT ON FUNCTION treasure.stock_state(bigint) IS
  'A chest''s number of stock slots (0: unlimited) and whether every unit is taken (sold out)';

-- Takes a unit of stock for the player: from the first slot with one left, starting at the player's slot
-- and skipping the slots other claims hold; only when every slot with units is held, wait for them (then
-- sold_out is exact).  Returns the slot, NULL when sold out.
CREATE FUNCTION treasure.take_stock_unit(player_id bigint, chest_id bigint, slot_count integer)
  RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  taken_slot integer;
BEGIN
  UPDATE treasure.stock_slots s SET taken = s.taken + 1
   WHERE (s.chest_id, s.slot) = (SELECT q.chest_id, q.slot FROM treasure.stock_slots q
                                  WHERE q.chest_id = take_stock_unit.chest_id AND q.taken < q.capacity
                                  ORDER BY (q.slot + slot_count - (take_stock_unit.player_id % slot_count)::integer) % slot_count
                                  LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING s.slot INTO taken_slot;
  IF taken_slot IS NULL THEN
    -- In slot order, the same for every claim: a slot found spent after the wait stays locked until the
    -- end of the transaction, so claims that waited in different orders could deadlock.
    UPDATE treasure.stock_slots s SET taken = s.taken + 1
     WHERE (s.chest_id, s.slot) = (SELECT q.chest_id, q.slot FROM treasure.stock_slots q
                                    WHERE q.chest_id = take_stock_unit.chest_id AND q.taken < q.capacity
                                    ORDER BY q.slot
                                    LIMIT 1 FOR UPDATE)
    RETURNING s.slot INTO taken_slot;
  END IF;
  RETURN taken_slot;
END
$$;
COMMENT ON FUNCTION treasure.take_stock_unit(bigint, bigint, integer) IS
  'Takes one unit of a limited chest''s stock for the player (its own slot first, held slots skipped, waiting only when all are held); the slot, or NULL when sold out';

-- Puts a claim's awarded items in the player's inventory, in item order (the order every claim locks them).
CREATE FUNCTION treasure.give_awards(player_id bigint, awards jsonb)
  RETURNS void
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO treasure.inventories AS i (player_id, item, qty)
  SELECT give_awards.player_id, a->>'item', sum((a->>'qty')::integer)::integer
    FROM pg_catalog.jsonb_array_elements(awards) a GROUP BY a->>'item' ORDER BY a->>'item'
  ON CONFLICT ON CONSTRAINT inventories_pkey DO UPDATE SET qty = i.qty + EXCLUDED.qty
$$;
COMMENT ON FUNCTION treasure.give_awards(bigint, jsonb) IS
  'Adds a claim''s awards [{source, item, qty}] to the player''s inventory, in item order';

-- Records what a claim awarded (claim_awards) and the loot rolls it drew (claim_loot).
CREATE FUNCTION treasure.record_awards(player_id bigint, claim_id bigint, awards jsonb, rolled jsonb)
  RETURNS void
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO treasure.claim_awards (player_id, claim_id, source, item, qty)
  SELECT record_awards.player_id, record_awards.claim_id, a->>'source', a->>'item', (a->>'qty')::integer
    FROM pg_catalog.jsonb_array_elements(awards) a;
  INSERT INTO treasure.claim_loot (player_id, claim_id, roll, entry, item, qty, coins, weight, total_weight, draw)
  SELECT record_awards.player_id, record_awards.claim_id, (x->>'roll')::integer, (x->>'entry')::integer, x->>'item',
         (x->>'qty')::integer, (x->>'coins')::bigint, (x->>'weight')::integer, (x->>'total_weight')::integer,
         (x->>'draw')::bigint
    FROM pg_catalog.jsonb_array_elements(rolled) x;
$$;
COMMENT ON FUNCTION treasure.record_awards(bigint, bigint, jsonb, jsonb) IS
  'Writes a claim''s claim_awards rows (awards [{source, item, qty}]) and claim_loot rows (its loot rolls)';

-- The claim of a chest with 1.3.0 features, or of any chest while a limit or a cap is set.  claim_treasure()
-- runs it (statements path, a saved plan) instead of its own statements; nobody else may call it.  Judged
-- in the documented order: replay, already_claimed, chest_closed, sold_out, key_required, rate_limited,
-- wallet_full / inventory_full (on the rolled awards).  The player's wallet row is locked before the player's
-- facts are judged (wallet, then inventory rows in item order, as every claim locks), and the stock unit is
-- taken last, after every refusal was ruled out, so a refusal writes nothing and takes no token and no stock.
-- Key probes only, like claim_details(): no sequential scan from a plan made while the tables were small.
CREATE FUNCTION treasure.claim_featured(player_id bigint, chest_id bigint, request_id uuid, session_id bigint)
  RETURNS TABLE (status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text,
                 item_qty integer, key_used text, balance bigint, claimed_at timestamptz)
  LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET enable_seqscan = off
AS $$
DECLARE
  p constant bigint := claim_featured.player_id;
  chest constant bigint := claim_featured.chest_id;
  now_at constant timestamptz := pg_catalog.now();
  c treasure.chests;
  k treasure.claims;
  w treasure.wallets;
  has_wallet boolean;
  current_balance bigint;
  tokens double precision;
  refusal text;
  rolled jsonb;
  awards jsonb;
  total_coins bigint;
  slot_count integer;
  sold_out boolean;
  taken_slot integer;
  new_claim_id bigint;
  new_balance bigint;
BEGIN
  SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = chest;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'chest % does not exist', chest USING ERRCODE = 'no_data_found';
  END IF;
  FOR attempt IN 1..3 LOOP
    taken_slot := NULL;
    SELECT * INTO k FROM treasure.claims ck WHERE ck.request_id = claim_featured.request_id;
    IF FOUND THEN
      IF k.player_id <> p OR k.chest_id <> chest THEN
        RAISE EXCEPTION 'request_id % was already used for a different claim', claim_featured.request_id
          USING ERRCODE = 'unique_violation', HINT = 'Use a new request_id for every distinct tap; reuse one only to retry it.';
      END IF;
      RETURN QUERY
        SELECT 'claimed'::text, true, k.claim_id, k.coins_awarded, k.item_awarded, k.item_qty, k.key_used,
               e.balance_after, k.claimed_at
          FROM (SELECT 1) one
          LEFT JOIN treasure.claim_events e ON e.player_id = k.player_id AND e.claim_id = k.claim_id;
      RETURN;
    END IF;
    current_balance := COALESCE((SELECT wl.balance FROM treasure.wallets wl WHERE wl.player_id = p), 0);
    SELECT * INTO k FROM treasure.claims ck WHERE ck.player_id = p AND ck.chest_id = chest;
    IF FOUND THEN
      RETURN QUERY SELECT 'already_claimed'::text, false, k.claim_id, 0::bigint, NULL::text, NULL::integer,
                          NULL::text, current_balance, k.claimed_at;
      RETURN;
    END IF;
    SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = chest;
    IF NOT ((c.opens_at IS NULL OR c.opens_at <= now_at) AND (c.closes_at IS NULL OR now_at < c.closes_at)) THEN
      RETURN QUERY SELECT 'chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                          NULL::text, current_balance, NULL::timestamptz;
      RETURN;
    END IF;
    SELECT * INTO slot_count, sold_out FROM treasure.stock_state(chest);
    IF sold_out THEN
      RETURN QUERY SELECT 'sold_out'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                          NULL::text, current_balance, NULL::timestamptz;
      RETURN;
    END IF;

    -- The player's facts, under the wallet's lock.
    SELECT * INTO w FROM treasure.wallets wl WHERE wl.player_id = p FOR NO KEY UPDATE;
    has_wallet := FOUND;
    current_balance := COALESCE(w.balance, 0);
    IF c.key_item IS NOT NULL
       AND NOT EXISTS (SELECT FROM treasure.inventories i WHERE i.player_id = p AND i.item = c.key_item AND i.qty > 0) THEN
      RETURN QUERY SELECT 'key_required'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                          NULL::text, current_balance, NULL::timestamptz;
      RETURN;
    END IF;
    tokens := treasure.claim_limit_tokens(w.claim_tokens, w.claim_tokens_at, now_at);
    IF tokens < 1 THEN
      RETURN QUERY SELECT 'rate_limited'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                          NULL::text, current_balance, NULL::timestamptz;
      RETURN;
    END IF;

    -- The awards: the guaranteed items, then the loot rolls; the caps are judged on them.
    SELECT * INTO total_coins, awards, rolled FROM treasure.claim_awards_of(p, c);
    refusal := treasure.claim_cap_refusal(p, current_balance + total_coins, awards);
    IF refusal IS NOT NULL THEN
      RETURN QUERY SELECT refusal, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                          NULL::text, current_balance, NULL::timestamptz;
      RETURN;
    END IF;

    IF slot_count > 0 THEN
      taken_slot := treasure.take_stock_unit(p, chest, slot_count);
      IF taken_slot IS NULL THEN
        RETURN QUERY SELECT 'sold_out'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                            NULL::text, current_balance, NULL::timestamptz;
        RETURN;
      END IF;
    END IF;

    -- A player without a wallet: open it now (the lock the judgement above lacked); if another claim opened
    -- it meanwhile, give the unit back and judge again under its lock.
    IF NOT has_wallet THEN
      INSERT INTO treasure.wallets (player_id, balance) VALUES (p, 0) ON CONFLICT ON CONSTRAINT wallets_pkey DO NOTHING;
      IF NOT FOUND THEN
        UPDATE treasure.stock_slots s SET taken = s.taken - 1 WHERE s.chest_id = chest AND s.slot = taken_slot;
        CONTINUE;
      END IF;
    END IF;

    -- The guard.
    INSERT INTO treasure.claims AS ck
           (player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used, claimed_at)
    VALUES (p, chest, claim_featured.request_id, claim_featured.session_id, total_coins, c.item,
            CASE WHEN c.item IS NOT NULL THEN c.item_qty END, c.key_item, now_at)
    ON CONFLICT DO NOTHING
    RETURNING ck.claim_id INTO new_claim_id;
    IF new_claim_id IS NULL THEN
      -- Claimed meanwhile (this request or this chest): give the unit back; the next pass says which.
      UPDATE treasure.stock_slots s SET taken = s.taken - 1 WHERE s.chest_id = chest AND s.slot = taken_slot;
      CONTINUE;
    END IF;

    UPDATE treasure.wallets wl
       SET balance = wl.balance + total_coins, claims = wl.claims + 1,
           coins_awarded = wl.coins_awarded + total_coins,
           last_claim_at = GREATEST(wl.last_claim_at, now_at),
           claim_tokens = COALESCE(tokens - 1, wl.claim_tokens),
           claim_tokens_at = CASE WHEN tokens IS NOT NULL THEN now_at ELSE wl.claim_tokens_at END
     WHERE wl.player_id = p
    RETURNING wl.balance INTO new_balance;
    IF c.key_item IS NOT NULL THEN
      UPDATE treasure.inventories i SET qty = i.qty - 1 WHERE i.player_id = p AND i.item = c.key_item AND i.qty > 0;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'the key for this chest was consumed by a concurrent claim'
          USING ERRCODE = 'serialization_failure', HINT = 'Retry with the same request_id.';
      END IF;
    END IF;
    INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at)
    VALUES (p, new_claim_id, chest, total_coins, new_balance, now_at);
    PERFORM treasure.give_awards(p, awards);
    PERFORM treasure.record_awards(p, new_claim_id, awards, rolled);
    RETURN QUERY SELECT 'claimed'::text, false, new_claim_id, total_coins, c.item,
                        CASE WHEN c.item IS NOT NULL THEN c.item_qty END, c.key_item, new_balance, now_at;
    RETURN;
  END LOOP;
  RAISE EXCEPTION 'could not determine the outcome of a concurrent claim'
    USING ERRCODE = 'serialization_failure', HINT = 'Retry with the same request_id.';
END
$$;
COMMENT ON FUNCTION treasure.claim_featured(bigint, bigint, uuid, bigint) IS
  'Internal: claim_treasure()''s claim of a chest with items, loot or stock, or of any chest while a limit or cap is set; statuses in the documented order; not granted to anybody';

-- Called with nearly every claim, on pooled connections that keep their plans: its look-ups are key probes,
-- and a plan made while claim_awards was small (a sequential scan is cheaper then) must not stay one as the
-- table grows until statistics come (found by bench/floors.sh: bench/FINDINGS.md, "Floors and ratios").
CREATE FUNCTION treasure.claim_details(player_id bigint, claim_id bigint, status text)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET enable_seqscan = off
AS $$
DECLARE
  awards jsonb;
  loot_coins bigint;
  retry bigint;
BEGIN
  IF claim_details.status = 'claimed' AND claim_details.claim_id IS NOT NULL THEN
    awards := COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('item', a.item, 'qty', a.qty, 'source', a.source)
                                                    ORDER BY a.source, a.item)
                          FROM treasure.claim_awards a
                         WHERE a.player_id = claim_details.player_id AND a.claim_id = claim_details.claim_id), '[]');
    loot_coins := (SELECT sum(l.coins) FROM treasure.claim_loot l
                    WHERE l.player_id = claim_details.player_id AND l.claim_id = claim_details.claim_id);
    RETURN pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('awards', awards, 'loot_coins', loot_coins));
  ELSIF claim_details.status = 'rate_limited' THEN
    retry := treasure.claim_retry_after_ms(claim_details.player_id);
    RETURN CASE WHEN retry IS NOT NULL THEN pg_catalog.jsonb_build_object('retry_after_ms', retry) END;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION treasure.claim_details(bigint, bigint, text) IS
  'claim_treasure()''s companion, called in the same statement: {awards, loot_coins} for claimed, {retry_after_ms} for rate_limited, else NULL';

CREATE FUNCTION treasure.explain_claim(player_id bigint, request_id uuid)
  RETURNS TABLE (roll integer, entry integer, item text, qty integer, coins bigint, weight integer,
                 total_weight integer, draw bigint, reason text)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k treasure.claims;
BEGIN
  IF explain_claim.player_id IS NULL OR explain_claim.request_id IS NULL THEN
    RAISE EXCEPTION 'player_id and request_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO k FROM treasure.claims ck
   WHERE ck.player_id = explain_claim.player_id AND ck.request_id = explain_claim.request_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'player % has no claim with request_id %', explain_claim.player_id, explain_claim.request_id
      USING ERRCODE = 'no_data_found';
  END IF;
  RETURN QUERY
    SELECT NULL::integer, NULL::integer, a.item, a.qty, NULL::bigint, NULL::integer, NULL::integer, NULL::bigint,
           'guaranteed'::text
      FROM treasure.claim_awards a
     WHERE a.player_id = k.player_id AND a.claim_id = k.claim_id AND a.source = 'guaranteed'
     ORDER BY a.item;
  RETURN QUERY
    SELECT l.roll, l.entry, l.item, l.qty, l.coins, l.weight, l.total_weight, l.draw,
           pg_catalog.format('roll %s: draw %s of total weight %s falls in entry %s (weight %s)',
                             l.roll, l.draw, l.total_weight, l.entry, l.weight)
      FROM treasure.claim_loot l
     WHERE l.player_id = k.player_id AND l.claim_id = k.claim_id
     ORDER BY l.roll;
END
$$;
COMMENT ON FUNCTION treasure.explain_claim(bigint, uuid) IS
  'Why a claim awarded what it did: one row per guaranteed item (roll NULL), then one per loot roll with its draw and weights; P0002 without such a claim';

-- A support tool (owner only): takes a claim back in one transaction.
CREATE FUNCTION treasure.reverse_claim(player_id bigint, request_id uuid, reason text, force boolean DEFAULT false)
  RETURNS TABLE (status text, claim_id bigint, coins_taken bigint, items_taken jsonb, key_returned text,
                 shortfall jsonb, balance bigint, reversed_at timestamptz)
  LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k treasure.claims;
  w treasure.wallets;
  v treasure.claim_reversals;
  take_coins bigint;
  short_coins bigint;
  taken jsonb;
  short_items jsonb;
  missing jsonb;
  new_id bigint;
  new_balance bigint;
  item_row record;
BEGIN
  IF reverse_claim.player_id IS NULL OR reverse_claim.request_id IS NULL OR reverse_claim.reason IS NULL
     OR reverse_claim.force IS NULL THEN
    RAISE EXCEPTION 'player_id, request_id, reason and force must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF reverse_claim.reason !~ '\S' THEN
    RAISE EXCEPTION 'reason must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO k FROM treasure.claims ck
   WHERE ck.player_id = reverse_claim.player_id AND ck.request_id = reverse_claim.request_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'player % has no claim with request_id %', reverse_claim.player_id, reverse_claim.request_id
      USING ERRCODE = 'no_data_found';
  END IF;
  -- The player's lock, as every claim takes it: wallet first, then inventory rows in item order.
  SELECT * INTO w FROM treasure.wallets wl WHERE wl.player_id = k.player_id FOR NO KEY UPDATE;
  SELECT * INTO v FROM treasure.claim_reversals r WHERE r.player_id = k.player_id AND r.claim_id = k.claim_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'already_reversed'::text, v.claim_id, v.coins_taken, v.items_taken, v.key_returned,
                        v.shortfall, v.balance_after, v.reversed_at;
    RETURN;
  END IF;

  take_coins := LEAST(k.coins_awarded, COALESCE(w.balance, 0));
  short_coins := k.coins_awarded - take_coins;
  WITH owed AS (
    SELECT a.item, sum(a.qty)::integer AS qty FROM treasure.claim_awards a
     WHERE a.player_id = k.player_id AND a.claim_id = k.claim_id GROUP BY a.item
  ), held AS (
    SELECT o.item, o.qty AS owed, LEAST(o.qty, COALESCE(i.qty, 0)) AS take
      FROM owed o LEFT JOIN treasure.inventories i ON i.player_id = k.player_id AND i.item = o.item
  )
  SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('item', h.item, 'qty', h.take) ORDER BY h.item)
                    FILTER (WHERE h.take > 0), '[]'),
         COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('item', h.item, 'qty', h.owed - h.take) ORDER BY h.item)
                    FILTER (WHERE h.take < h.owed), '[]')
    INTO taken, short_items
    FROM held h;
  IF short_coins > 0 OR short_items <> '[]' THEN
    missing := pg_catalog.jsonb_build_object('coins', short_coins, 'items', short_items);
    IF NOT reverse_claim.force THEN
      RAISE EXCEPTION 'cannot reverse claim % of player %: the player already spent part of what it awarded', k.claim_id, k.player_id
        USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = 'missing: ' || missing::text,
              HINT = 'force => true takes what is there and records the shortfall.';
    END IF;
  END IF;

  UPDATE treasure.wallets wl SET balance = wl.balance - take_coins, coins_awarded = wl.coins_awarded - take_coins
   WHERE wl.player_id = k.player_id
  RETURNING wl.balance INTO new_balance;
  FOR item_row IN
    SELECT x.item, sum(x.delta)::integer AS delta
      FROM (SELECT t->>'item' AS item, -(t->>'qty')::integer AS delta FROM pg_catalog.jsonb_array_elements(taken) t
            UNION ALL SELECT k.key_used, 1 WHERE k.key_used IS NOT NULL) x
     GROUP BY x.item ORDER BY x.item
  LOOP
    IF item_row.delta < 0 THEN
      UPDATE treasure.inventories i SET qty = i.qty + item_row.delta
       WHERE i.player_id = k.player_id AND i.item = item_row.item;
    ELSIF item_row.delta > 0 THEN
      INSERT INTO treasure.inventories AS i (player_id, item, qty) VALUES (k.player_id, item_row.item, item_row.delta)
      ON CONFLICT ON CONSTRAINT inventories_pkey DO UPDATE SET qty = i.qty + EXCLUDED.qty;
    END IF;
  END LOOP;
  new_id := pg_catalog.nextval('treasure.claim_id_seq');
  INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at)
  VALUES (k.player_id, new_id, k.chest_id, -take_coins, new_balance, pg_catalog.now());
  INSERT INTO treasure.claim_reversals AS r (player_id, claim_id, reversal_id, coins_taken, items_taken, key_returned,
                                             shortfall, balance_after, reason, reversed_by, reversed_at)
  VALUES (k.player_id, k.claim_id, new_id, take_coins, taken, k.key_used, missing, new_balance, reverse_claim.reason,
          session_user, pg_catalog.now())
  RETURNING r.* INTO v;
  RETURN QUERY SELECT 'reversed'::text, v.claim_id, v.coins_taken, v.items_taken, v.key_returned, v.shortfall,
                      v.balance_after, v.reversed_at;
END
$$;
COMMENT ON FUNCTION treasure.reverse_claim(bigint, uuid, text, boolean) IS
  'Reverses a claim in one transaction: takes back its coins and items, returns its key, writes a negative claim_events row and records who (session_user) and why; already_reversed on a repeat; 55000 when the player spent some of it unless force (the shortfall is recorded); P0002, 22004, 22023';

-- reconcile() accounts for every award (claim_awards) and every reversal.
CREATE OR REPLACE FUNCTION treasure.reconcile()
  RETURNS TABLE (player_id bigint, subject text, problem text, expected bigint, actual bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH pending AS (
    SELECT g.player_id, g.chest_id, g.key_item, g.item, g.item_qty,
           CASE WHEN g.credited AND NOT g.refunded AND g.claim_id IS NULL THEN g.coins ELSE 0 END AS coins,
           g.key_taken AND NOT g.key_returned AND g.claim_id IS NULL AS key_out,
           g.claim_id IS NOT NULL AND g.awards <> '[]' AND NOT g.item_given AS items_owed, g.awards,
           g.claim_id IS NOT NULL AND NOT g.counted AS count_owed, g.claim_id
      FROM treasure.sagas g
     WHERE g.state NOT IN ('completed', 'aborted')
  ), wallet_expected AS (
    SELECT x.player_id, sum(x.coins) AS coins
      FROM (SELECT k.player_id, k.coins_awarded AS coins FROM treasure.claims k
            UNION ALL SELECT p.player_id, p.coins FROM pending p
            UNION ALL SELECT v.player_id, -v.coins_taken FROM treasure.claim_reversals v) x
     GROUP BY x.player_id
  ), wallet_check AS (
    SELECT COALESCE(w.player_id, e.player_id) AS player_id, 'wallet'::text AS subject,
           'balance differs from the coins of its claims'::text AS problem,
           COALESCE(e.coins, 0)::bigint AS expected, COALESCE(w.balance, 0) AS actual
      FROM treasure.wallets w FULL JOIN wallet_expected e ON e.player_id = w.player_id
     WHERE COALESCE(w.balance, 0) <> COALESCE(e.coins, 0)
  ), item_moves AS (
    SELECT ig.player_id, ig.item, ig.qty::bigint AS qty FROM treasure.item_grants ig
    UNION ALL SELECT a.player_id, a.item, a.qty FROM treasure.claim_awards a
    UNION ALL SELECT k.player_id, k.key_used, -1 FROM treasure.claims k WHERE k.key_used IS NOT NULL
    UNION ALL SELECT p.player_id, p.key_item, -1 FROM pending p WHERE p.key_out
    UNION ALL SELECT p.player_id, a->>'item', -(a->>'qty')::bigint
                FROM pending p, pg_catalog.jsonb_array_elements(p.awards) a WHERE p.items_owed
    UNION ALL SELECT v.player_id, v.key_returned, 1 FROM treasure.claim_reversals v WHERE v.key_returned IS NOT NULL
    UNION ALL SELECT v.player_id, t->>'item', -(t->>'qty')::bigint
                FROM treasure.claim_reversals v, pg_catalog.jsonb_array_elements(v.items_taken) t
  ), item_expected AS (
    SELECT im.player_id, im.item, sum(im.qty) AS qty FROM item_moves im GROUP BY im.player_id, im.item
  ), inventory_check AS (
    SELECT COALESCE(i.player_id, e.player_id), 'inventory ' || COALESCE(i.item, e.item),
           'quantity differs from grants + items awarded - keys used',
           COALESCE(e.qty, 0)::bigint, COALESCE(i.qty, 0)::bigint
      FROM treasure.inventories i FULL JOIN item_expected e ON e.player_id = i.player_id AND e.item = i.item
     WHERE COALESCE(i.qty, 0) <> COALESCE(e.qty, 0)
  ), event_check AS (
    SELECT COALESCE(k.player_id, e.player_id), 'claim ' || COALESCE(k.claim_id, e.claim_id),
           CASE WHEN e.claim_id IS NULL THEN 'claim without its claim_events row'
                WHEN k.claim_id IS NULL THEN 'claim_events row without its claim'
                ELSE 'claim_events row disagrees with its claim' END,
           k.coins_awarded, e.coins_awarded
      FROM treasure.claims k
      FULL JOIN (SELECT ev.* FROM treasure.claim_events ev
                  WHERE NOT EXISTS (SELECT FROM treasure.claim_reversals v
                                     WHERE v.player_id = ev.player_id AND v.reversal_id = ev.claim_id)) e
        ON e.player_id = k.player_id AND e.claim_id = k.claim_id
     WHERE k.claim_id IS NULL OR e.claim_id IS NULL OR e.coins_awarded <> k.coins_awarded OR e.chest_id <> k.chest_id
    UNION ALL
    -- Every reversal: its negative event.
    SELECT v.player_id, 'reversal of claim ' || v.claim_id,
           CASE WHEN e.claim_id IS NULL THEN 'reversal without its claim_events row'
                ELSE 'claim_events row disagrees with its reversal' END,
           -v.coins_taken, e.coins_awarded
      FROM treasure.claim_reversals v
      LEFT JOIN treasure.claim_events e ON e.player_id = v.player_id AND e.claim_id = v.reversal_id
     WHERE e.claim_id IS NULL OR e.coins_awarded <> -v.coins_taken
  ), stats_expected AS (
    SELECT k.player_id, count(*) AS claims,
           sum(k.coins_awarded - COALESCE((SELECT v.coins_taken FROM treasure.claim_reversals v
                                            WHERE v.player_id = k.player_id AND v.claim_id = k.claim_id), 0)) AS coins
      FROM treasure.claims k
     WHERE NOT EXISTS (SELECT FROM pending p WHERE p.count_owed AND p.player_id = k.player_id AND p.claim_id = k.claim_id)
     GROUP BY k.player_id
  ), stats_check AS (
    SELECT COALESCE(s.player_id, e.player_id), 'player_stats claims', 'count differs from the claims counted',
           COALESCE(e.claims, 0)::bigint, COALESCE(s.claims, 0)
      FROM treasure.player_stats s FULL JOIN stats_expected e ON e.player_id = s.player_id
     WHERE COALESCE(s.claims, 0) <> COALESCE(e.claims, 0)
    UNION ALL
    SELECT COALESCE(s.player_id, e.player_id), 'player_stats coins_awarded', 'sum differs from the claims counted',
           COALESCE(e.coins, 0)::bigint, COALESCE(s.coins_awarded, 0)
      FROM treasure.player_stats s FULL JOIN stats_expected e ON e.player_id = s.player_id
     WHERE COALESCE(s.coins_awarded, 0) <> COALESCE(e.coins, 0)
  ), saga_check AS (
    -- A finished saga must have done all or nothing.
    SELECT g.player_id, 'saga ' || g.saga_id, 'finished saga left effects behind (state ' || g.state || ')',
           NULL::bigint, NULL::bigint
      FROM treasure.sagas g
     WHERE (g.state = 'aborted' AND (g.claim_id IS NOT NULL OR g.credited <> g.refunded OR g.key_taken <> g.key_returned))
        OR (g.state = 'completed' AND (g.claim_id IS NULL OR (g.awards <> '[]' AND NOT g.item_given) OR NOT g.counted
                                       OR g.refunded OR g.key_returned))
  )
  SELECT * FROM wallet_check
  UNION ALL SELECT * FROM inventory_check
  UNION ALL SELECT * FROM event_check
  UNION ALL SELECT * FROM stats_check
  UNION ALL SELECT * FROM saga_check
  ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION treasure.reconcile() IS
  'One row per disagreement between claims (less their reversals), wallets, inventories (+ item_grants, claim_awards, reversals), claim_events, player_stats and finished sagas; amounts of sagas in flight (treasure.saga_in_flight) are accounted for, not reported; empty when consistent';


-- The saga path claims featured chests as claim_featured() does: saga_claim rolls the awards (the same
-- claim_awards_of()) and stores them on the saga (coins = the chest's plus the loot's); the commit step judges
-- stock, claim limit and caps at the point of no return; give_item gives every award.  A saga refused at its
-- commit is compensated and answers that status.
ALTER TABLE treasure.sagas
  ADD COLUMN awards jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN loot jsonb NOT NULL DEFAULT '[]',
  DROP CONSTRAINT sagas_outcome_check,
  ADD CONSTRAINT sagas_outcome_check
    CHECK (outcome IN ('claimed', 'replayed', 'already_claimed', 'key_required', 'request_id_conflict', 'failed',
                       'sold_out', 'rate_limited', 'wallet_full', 'inventory_full'));
COMMENT ON COLUMN treasure.sagas.awards IS
  'Every item the saga''s claim awards, [{source, item, qty}] as claim_awards_of() rolled them at saga_claim; give_item gives them all';
COMMENT ON COLUMN treasure.sagas.loot IS 'The loot rolls drawn at saga_claim, written to claim_loot at commit';
-- Sagas of 1.2.0 award put_chest's item.
UPDATE treasure.sagas g
   SET awards = pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('source', 'guaranteed', 'item', g.item, 'qty', g.item_qty))
 WHERE g.item IS NOT NULL;

-- The items a committed saga still owes: every award.
CREATE OR REPLACE VIEW treasure.saga_in_flight AS
  SELECT g.player_id, g.saga_id, g.chest_id, g.request_id, g.state, g.outcome,
         CASE WHEN g.credited AND NOT g.refunded AND g.claim_id IS NULL THEN g.coins ELSE 0 END AS coins_in_flight,
         CASE WHEN g.key_taken AND NOT g.key_returned AND g.claim_id IS NULL THEN g.key_item END AS key_in_flight,
         CASE WHEN g.claim_id IS NOT NULL AND g.awards <> '[]' AND NOT g.item_given
              THEN (SELECT pg_catalog.string_agg(DISTINCT a->>'item', ',') FROM pg_catalog.jsonb_array_elements(g.awards) a)
         END AS item_owed,
         g.claim_id IS NOT NULL AND NOT g.counted AS count_owed,
         g.started_at, g.updated_at, g.error
    FROM treasure.sagas g
   WHERE g.state NOT IN ('completed', 'aborted');
COMMENT ON VIEW treasure.saga_in_flight IS
  'Running sagas and what they hold: coins credited and a key taken but not yet committed or undone, the items (item_owed, comma-separated) and counters owed after the commit; reconcile() accounts for these';

CREATE OR REPLACE FUNCTION treasure.saga_answer(player_id bigint, chest_id bigint, request_id uuid, check_key boolean)
  RETURNS TABLE (status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text,
                 item_qty integer, key_used text, balance bigint, claimed_at timestamptz)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c treasure.chests;
  k treasure.claims;
  w treasure.wallets;
  current_balance bigint;
  awarded record;
  refusal text;
BEGIN
  SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = saga_answer.chest_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'chest % does not exist', saga_answer.chest_id USING ERRCODE = 'no_data_found';
  END IF;
  SELECT * INTO w FROM treasure.wallets wl WHERE wl.player_id = saga_answer.player_id;
  current_balance := COALESCE(w.balance, 0);

  SELECT * INTO k FROM treasure.claims ck WHERE ck.request_id = saga_answer.request_id;
  IF FOUND THEN
    IF k.player_id <> saga_answer.player_id OR k.chest_id <> saga_answer.chest_id THEN
      RAISE EXCEPTION 'request_id % was already used for a different claim', saga_answer.request_id
        USING ERRCODE = 'unique_violation', HINT = 'Use a new request_id for every distinct tap; reuse one only to retry it.';
    END IF;
    RETURN QUERY
      SELECT 'claimed'::text, true, k.claim_id, k.coins_awarded, k.item_awarded, k.item_qty, k.key_used,
             e.balance_after, k.claimed_at
        FROM (SELECT 1) one
        LEFT JOIN treasure.claim_events e ON e.player_id = k.player_id AND e.claim_id = k.claim_id;
    RETURN;
  END IF;
  SELECT * INTO k FROM treasure.claims ck
   WHERE ck.player_id = saga_answer.player_id AND ck.chest_id = saga_answer.chest_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'already_claimed'::text, false, k.claim_id, 0::bigint, NULL::text, NULL::integer,
                        NULL::text, current_balance, k.claimed_at;
    RETURN;
  END IF;
  IF NOT ((c.opens_at IS NULL OR c.opens_at <= pg_catalog.now())
          AND (c.closes_at IS NULL OR pg_catalog.now() < c.closes_at)) THEN
    RETURN QUERY SELECT 'chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                        NULL::text, current_balance, NULL::timestamptz;
    RETURN;
  END IF;
  IF NOT check_key THEN
    RETURN;
  END IF;
  -- The refusals claim_featured() judges before it writes, in its order, as they look now; the commit step
  -- judges stock, limit and caps again at the point of no return.
  IF (SELECT st.sold_out FROM treasure.stock_state(saga_answer.chest_id) st) THEN
    refusal := 'sold_out';
  ELSIF c.key_item IS NOT NULL
     AND NOT EXISTS (SELECT FROM treasure.inventories i
                      WHERE i.player_id = saga_answer.player_id AND i.item = c.key_item AND i.qty > 0) THEN
    refusal := 'key_required';
  ELSIF treasure.claim_limit_tokens(w.claim_tokens, w.claim_tokens_at, pg_catalog.now()) < 1 THEN
    refusal := 'rate_limited';
  ELSE
    SELECT * INTO awarded FROM treasure.claim_awards_of(saga_answer.player_id, c);
    refusal := treasure.claim_cap_refusal(saga_answer.player_id, current_balance + awarded.coins, awarded.awards);
  END IF;
  IF refusal IS NOT NULL THEN
    RETURN QUERY SELECT refusal, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                        NULL::text, current_balance, NULL::timestamptz;
  END IF;
END
$$;
COMMENT ON FUNCTION treasure.saga_answer(bigint, bigint, uuid, boolean) IS
  'claim_treasure()''s answer when no saga is needed (replay, already_claimed, chest_closed; with check_key also sold_out, key_required, rate_limited, wallet_full, inventory_full as they look now), else no row; raises P0002 and 23505 like claim_treasure()';


CREATE OR REPLACE FUNCTION treasure.saga_claim(player_id bigint, chest_id bigint, request_id uuid, session_id bigint DEFAULT NULL)
  RETURNS TABLE (saga_id bigint, status text, replayed boolean, claim_id bigint, coins_awarded bigint,
                 item_awarded text, item_qty integer, key_used text, balance bigint, claimed_at timestamptz)
  LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a record;
  running treasure.sagas;
  c treasure.chests;
  awarded record;
  new_id bigint;
BEGIN
  IF saga_claim.player_id IS NULL OR saga_claim.chest_id IS NULL OR saga_claim.request_id IS NULL THEN
    RAISE EXCEPTION 'player_id, chest_id and request_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF saga_claim.player_id <= 0 THEN
    RAISE EXCEPTION 'player_id must be positive, got %', saga_claim.player_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF saga_claim.chest_id <= 0 THEN
    RAISE EXCEPTION 'chest_id must be positive, got %', saga_claim.chest_id USING ERRCODE = 'invalid_parameter_value';
  END IF;

  FOR attempt IN 1..3 LOOP
    -- Claimed already (by either path), or a closed chest: answered like claim_treasure() (P0002, 23505 too).
    SELECT * INTO a FROM treasure.saga_answer(saga_claim.player_id, saga_claim.chest_id, saga_claim.request_id, false) x;
    IF FOUND THEN
      RETURN QUERY SELECT NULL::bigint, a.status, a.replayed, a.claim_id, a.coins_awarded, a.item_awarded,
                          a.item_qty, a.key_used, a.balance, a.claimed_at;
      RETURN;
    END IF;

    -- A running saga with this request_id: join it (the client retried while it ran).  One that committed
    -- since the look-up above is answered as a replay on the next pass.
    SELECT * INTO running FROM treasure.sagas g
     WHERE g.request_id = saga_claim.request_id AND g.state NOT IN ('completed', 'aborted');
    IF FOUND THEN
      IF running.player_id <> saga_claim.player_id OR running.chest_id <> saga_claim.chest_id THEN
        RAISE EXCEPTION 'request_id % was already used for a different claim', saga_claim.request_id
          USING ERRCODE = 'unique_violation', HINT = 'Use a new request_id for every distinct tap; reuse one only to retry it.';
      END IF;
      CONTINUE WHEN running.claim_id IS NOT NULL;
      RETURN QUERY SELECT running.saga_id, NULL::text, false, NULL::bigint, 0::bigint, NULL::text,
                          NULL::integer, NULL::text, NULL::bigint, NULL::timestamptz;
      RETURN;
    END IF;

    -- Refused as things look now (sold_out, key_required, rate_limited, a cap): answered at once; the
    -- take_key and commit steps still decide under the player's lock.
    SELECT * INTO a FROM treasure.saga_answer(saga_claim.player_id, saga_claim.chest_id, saga_claim.request_id, true) x;
    IF FOUND THEN
      RETURN QUERY SELECT NULL::bigint, a.status, a.replayed, a.claim_id, a.coins_awarded, a.item_awarded,
                          a.item_qty, a.key_used, a.balance, a.claimed_at;
      RETURN;
    END IF;

    -- The awards, rolled now as claim_featured() rolls them (the roll is pure: a replay gets the same).
    SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = saga_claim.chest_id;
    SELECT * INTO awarded FROM treasure.claim_awards_of(saga_claim.player_id, c);
    INSERT INTO treasure.sagas AS g (player_id, chest_id, request_id, session_id, coins, item, item_qty, key_item,
                                     awards, loot, state)
    VALUES (saga_claim.player_id, saga_claim.chest_id, saga_claim.request_id, saga_claim.session_id, awarded.coins,
            c.item, CASE WHEN c.item IS NOT NULL THEN c.item_qty END, c.key_item, awarded.awards, awarded.rolled,
            CASE WHEN c.key_item IS NOT NULL THEN 'take_key' ELSE 'credit' END)
    ON CONFLICT DO NOTHING
    RETURNING g.saga_id INTO new_id;
    IF new_id IS NOT NULL THEN
      PERFORM treasure.saga_enqueue(saga_claim.player_id, new_id,
                                    CASE WHEN c.key_item IS NOT NULL THEN 'take_key' ELSE 'credit' END);
      RETURN QUERY SELECT new_id, NULL::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                          NULL::text, NULL::bigint, NULL::timestamptz;
      RETURN;
    END IF;
    -- Lost a race: either a concurrent start with this request_id (joined on the next pass) or another
    -- request's saga for this chest, which must finish first.
    IF NOT EXISTS (SELECT FROM treasure.sagas g
                    WHERE g.request_id = saga_claim.request_id AND g.state NOT IN ('completed', 'aborted')) THEN
      RAISE EXCEPTION 'a claim of chest % by player % is in progress', saga_claim.chest_id, saga_claim.player_id
        USING ERRCODE = 'serialization_failure', HINT = 'Retry with the same request_id.';
    END IF;
  END LOOP;
  RAISE EXCEPTION 'could not start a saga for request_id %', saga_claim.request_id
    USING ERRCODE = 'serialization_failure', HINT = 'Retry with the same request_id.';
END
$$;
COMMENT ON FUNCTION treasure.saga_claim(bigint, bigint, uuid, bigint) IS
  'Saga path entry point: answers at once like claim_treasure() (saga_id NULL) or starts/joins a saga and returns its saga_id with status NULL; wait on channel treasure_saga_done, then call saga_outcome(); 40001 while another request''s saga holds the chest';

CREATE OR REPLACE FUNCTION treasure.saga_next_step(saga treasure.sagas, after text)
  RETURNS text
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
    WHEN after = 'reserve' AND saga.key_item IS NOT NULL THEN 'take_key'
    WHEN after IN ('reserve', 'take_key') THEN 'credit'
    WHEN after = 'credit' THEN 'commit'
    WHEN after = 'commit' AND saga.awards <> '[]' THEN 'give_item'
    WHEN after IN ('commit', 'give_item') THEN 'count'
  END
$$;
COMMENT ON FUNCTION treasure.saga_next_step(treasure.sagas, text) IS
  'The forward step after the given one, skipping take_key without a key and give_item without awards; NULL after count';

CREATE OR REPLACE FUNCTION treasure.saga_work(worker text, fail_step text DEFAULT NULL)
  RETURNS TABLE (saga_id bigint, step text, result text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  m treasure.saga_messages;
  s treasure.sagas;
  k treasure.claims;
  outcome_text text;
  result_text text;
  balance_now bigint;
  problem text;
  wallet_row treasure.wallets;
  tokens double precision;
  slot_count integer;
  sold_out boolean;
  taken_slot integer;
  refusal text;
BEGIN
  DELETE FROM treasure.saga_messages d
   WHERE d.worker = saga_work.worker
     AND d.message_id = (SELECT q.message_id FROM treasure.saga_messages q
                          WHERE q.worker = saga_work.worker AND q.available_at <= pg_catalog.clock_timestamp()
                          ORDER BY q.message_id
                          LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING d.* INTO m;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  SELECT * INTO s FROM treasure.sagas g WHERE g.player_id = m.player_id AND g.saga_id = m.saga_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT m.saga_id, m.step, 'orphan'::text;
    RETURN;
  END IF;
  IF EXISTS (SELECT FROM treasure.saga_steps t
              WHERE t.player_id = s.player_id AND t.saga_id = s.saga_id AND t.step = m.step) THEN
    RETURN QUERY SELECT m.saga_id, m.step, 'duplicate'::text;
    RETURN;
  END IF;

  BEGIN
    IF saga_work.fail_step = m.step
       AND (s.state = m.step OR (m.step IN ('refund', 'return_key') AND s.state = 'compensating')) THEN
      RAISE EXCEPTION 'injected failure of step %', m.step;
    END IF;

    IF m.step IN ('take_key', 'credit', 'commit', 'give_item', 'count') AND s.state <> m.step THEN
      result_text := 'skipped: saga is ' || s.state;
    ELSIF m.step = 'take_key' THEN
      -- Like claim_treasure(), key consumers serialise on the player's wallet row (lock order: wallet, then
      -- inventory), and the qty > 0 guard decides.
      PERFORM FROM treasure.wallets w WHERE w.player_id = s.player_id FOR NO KEY UPDATE;
      UPDATE treasure.inventories i SET qty = i.qty - 1
       WHERE i.player_id = s.player_id AND i.item = s.key_item AND i.qty > 0;
      IF FOUND THEN
        UPDATE treasure.sagas g SET key_taken = true WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
        PERFORM treasure.saga_advance(s, 'take_key');
        result_text := 'applied';
      ELSE
        UPDATE treasure.sagas g SET state = 'aborted', outcome = 'key_required', updated_at = pg_catalog.now()
         WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
        PERFORM pg_catalog.pg_notify('treasure_saga_done', s.saga_id::text);
        result_text := 'key_required';
      END IF;
    ELSIF m.step = 'credit' THEN
      INSERT INTO treasure.wallets AS w (player_id, balance) VALUES (s.player_id, s.coins)
      ON CONFLICT (player_id) DO UPDATE SET balance = w.balance + EXCLUDED.balance;
      UPDATE treasure.sagas g SET credited = true WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
      PERFORM treasure.saga_advance(s, 'credit');
      result_text := 'applied';
    ELSIF m.step = 'commit' THEN
      -- The point of no return, judged as claim_featured() judges: under the player's wallet lock the stock,
      -- the claim limit and the caps (the balance already holds the credit), then a unit of stock is taken,
      -- then the same guard as claim_treasure().  A chest claimed meanwhile is that, whatever else applies.
      SELECT * INTO wallet_row FROM treasure.wallets wl WHERE wl.player_id = s.player_id FOR NO KEY UPDATE;
      IF NOT EXISTS (SELECT FROM treasure.claims ck WHERE ck.request_id = s.request_id)
         AND NOT EXISTS (SELECT FROM treasure.claims ck WHERE ck.player_id = s.player_id AND ck.chest_id = s.chest_id) THEN
        SELECT * INTO slot_count, sold_out FROM treasure.stock_state(s.chest_id);
        tokens := treasure.claim_limit_tokens(wallet_row.claim_tokens, wallet_row.claim_tokens_at, pg_catalog.now());
        refusal := CASE WHEN sold_out THEN 'sold_out' WHEN tokens < 1 THEN 'rate_limited'
                        ELSE treasure.claim_cap_refusal(s.player_id, wallet_row.balance, s.awards) END;
        IF refusal IS NULL AND slot_count > 0 THEN
          taken_slot := treasure.take_stock_unit(s.player_id, s.chest_id, slot_count);
          IF taken_slot IS NULL THEN
            refusal := 'sold_out';
          END IF;
        END IF;
        IF refusal IS NULL THEN
          INSERT INTO treasure.claims AS c
                 (player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used, claimed_at)
          VALUES (s.player_id, s.chest_id, s.request_id, s.session_id, s.coins, s.item, s.item_qty, s.key_item,
                  pg_catalog.now())
          ON CONFLICT DO NOTHING
          RETURNING c.* INTO k;
        END IF;
      END IF;
      IF k.claim_id IS NOT NULL THEN
        UPDATE treasure.wallets wl
           SET claim_tokens = COALESCE(tokens - 1, wl.claim_tokens),
               claim_tokens_at = CASE WHEN tokens IS NOT NULL THEN pg_catalog.now() ELSE wl.claim_tokens_at END
         WHERE wl.player_id = s.player_id
        RETURNING wl.balance INTO balance_now;
        INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at)
        VALUES (s.player_id, k.claim_id, s.chest_id, s.coins, balance_now, k.claimed_at);
        PERFORM treasure.record_awards(s.player_id, k.claim_id, s.awards, s.loot);
        UPDATE treasure.sagas g SET claim_id = k.claim_id, outcome = 'claimed'
         WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
        PERFORM treasure.saga_advance(s, 'commit');
        PERFORM pg_catalog.pg_notify('treasure_saga_done', s.saga_id::text);
        result_text := 'applied';
      ELSIF refusal IS NOT NULL THEN
        -- Refused at the point of no return: undo everything; the refusal is the saga's answer.
        PERFORM treasure.saga_compensate(s.player_id, s.saga_id, refusal, NULL);
        result_text := 'refused: ' || refusal;
      ELSE
        -- Claimed meanwhile (the atomic path or another request): give the unit back, undo everything and
        -- say so.
        UPDATE treasure.stock_slots st SET taken = st.taken - 1 WHERE st.chest_id = s.chest_id AND st.slot = taken_slot;
        SELECT * INTO k FROM treasure.claims ck WHERE ck.request_id = s.request_id;
        IF FOUND THEN
          outcome_text := CASE WHEN k.player_id = s.player_id AND k.chest_id = s.chest_id THEN 'replayed'
                               ELSE 'request_id_conflict' END;
        ELSE
          outcome_text := 'already_claimed';
        END IF;
        PERFORM treasure.saga_compensate(s.player_id, s.saga_id, outcome_text, NULL);
        result_text := 'conflict: ' || outcome_text;
      END IF;
    ELSIF m.step = 'give_item' THEN
      PERFORM treasure.give_awards(s.player_id, s.awards);
      UPDATE treasure.sagas g SET item_given = true WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
      PERFORM treasure.saga_advance(s, 'give_item');
      result_text := 'applied';
    ELSIF m.step = 'count' THEN
      INSERT INTO treasure.wallets AS w (player_id, balance, claims, coins_awarded, last_claim_at)
      SELECT s.player_id, 0, 1, s.coins, ck.claimed_at FROM treasure.claims ck
       WHERE ck.player_id = s.player_id AND ck.chest_id = s.chest_id
      ON CONFLICT (player_id) DO UPDATE
         SET claims = w.claims + 1, coins_awarded = w.coins_awarded + EXCLUDED.coins_awarded,
             last_claim_at = GREATEST(w.last_claim_at, EXCLUDED.last_claim_at);
      UPDATE treasure.sagas g SET counted = true WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
      PERFORM treasure.saga_advance(s, 'count');
      result_text := 'applied';
    ELSIF m.step = 'refund' THEN
      IF s.state <> 'compensating' OR NOT s.credited OR s.refunded THEN
        result_text := 'skipped: nothing to refund';
      ELSE
        UPDATE treasure.wallets w SET balance = w.balance - s.coins WHERE w.player_id = s.player_id;
        UPDATE treasure.sagas g SET refunded = true WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
        PERFORM treasure.saga_compensate(s.player_id, s.saga_id, NULL, NULL);
        result_text := 'applied';
      END IF;
    ELSIF m.step = 'return_key' THEN
      IF s.state <> 'compensating' OR NOT s.key_taken OR s.key_returned THEN
        result_text := 'skipped: no key to return';
      ELSE
        UPDATE treasure.inventories i SET qty = i.qty + 1 WHERE i.player_id = s.player_id AND i.item = s.key_item;
        UPDATE treasure.sagas g SET key_returned = true WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
        PERFORM treasure.saga_compensate(s.player_id, s.saga_id, NULL, NULL);
        result_text := 'applied';
      END IF;
    END IF;
    INSERT INTO treasure.saga_steps (player_id, saga_id, step, result) VALUES (s.player_id, s.saga_id, m.step, result_text);
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
    IF m.step IN ('take_key', 'credit', 'commit') AND s.state = m.step THEN
      -- Before the point of no return: give up and undo what was done.
      result_text := 'failed: ' || problem;
      INSERT INTO treasure.saga_steps (player_id, saga_id, step, result) VALUES (s.player_id, s.saga_id, m.step, result_text);
      PERFORM treasure.saga_compensate(s.player_id, s.saga_id, 'failed', m.step || ': ' || problem);
    ELSE
      -- After it, or an undo: it must eventually succeed; retry with back-off.
      result_text := 'retry: ' || problem;
      INSERT INTO treasure.saga_messages (message_id, worker, player_id, saga_id, step, attempts, available_at, enqueued_at)
      VALUES (m.message_id, m.worker, m.player_id, m.saga_id, m.step, m.attempts + 1,
              pg_catalog.clock_timestamp()
                + pg_catalog.make_interval(secs => LEAST(30.0, 0.1 * pg_catalog.power(2, LEAST(m.attempts, 10)))),
              m.enqueued_at);
      UPDATE treasure.sagas g SET error = m.step || ': ' || problem
       WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
    END IF;
  END;
  RETURN QUERY SELECT m.saga_id, m.step, result_text;
END
$$;

REVOKE ALL ON FUNCTION treasure.refresh_claim_features(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.require_chest(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.put_chest_item(bigint, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.loot_roll(bigint, bigint, integer, text, integer, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.put_loot(bigint, integer, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.set_stock(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.chest_stock(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.set_claim_limit(integer, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.set_wallet_cap(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.set_item_cap(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.claim_tokens_now(double precision, timestamptz, integer, interval, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.claim_retry_after_ms(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.claim_featured(bigint, bigint, uuid, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.claim_details(bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.explain_claim(bigint, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.reverse_claim(bigint, uuid, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.claim_limit_tokens(double precision, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.claim_awards_of(bigint, treasure.chests) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.claim_cap_refusal(bigint, bigint, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.stock_state(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.take_stock_unit(bigint, bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.give_awards(bigint, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.record_awards(bigint, bigint, jsonb, jsonb) FROM PUBLIC;
