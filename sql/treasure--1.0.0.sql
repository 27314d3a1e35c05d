-- treasure: confirm a treasure-hunt tap in one ACID transaction.
-- Version 1.0.0, the base install script: every version is this script plus the upgrade scripts up to it
-- (sql/README.md).  Released, so nothing here that reaches the catalog changes again.
\echo Use "CREATE EXTENSION treasure" to load this file. \quit

CREATE SCHEMA treasure;
COMMENT ON SCHEMA treasure IS
  'treasure extension: chests, wallets, inventories, claims and the analytics ledger';

-- Reference data: what a chest gives and what it asks for.  Read by every claim, written only by put_chest().
CREATE TABLE treasure.chests (
  chest_id  bigint PRIMARY KEY CHECK (chest_id > 0),
  coins     bigint NOT NULL CHECK (coins >= 0),
  item      text CHECK (item ~ '\S' AND char_length(item) <= 128),
  item_qty  integer NOT NULL DEFAULT 1 CHECK (item_qty > 0),
  key_item  text CHECK (key_item ~ '\S' AND char_length(key_item) <= 128),
  opens_at  timestamptz,
  closes_at timestamptz,
  CHECK (closes_at > opens_at),
  CHECK (item <> key_item)
);
COMMENT ON TABLE treasure.chests IS
  'Chest definitions (reference data): coins and an optional item awarded, an optional key consumed, an optional [opens_at, closes_at) window';

-- Every player-owned table leads its primary key with player_id, so a shard owns all of a player's rows.
-- The per-player rows that every claim updates leave room on their pages for HOT updates.
CREATE TABLE treasure.wallets (
  player_id bigint PRIMARY KEY CHECK (player_id > 0),
  balance   bigint NOT NULL DEFAULT 0 CHECK (balance >= 0)
) WITH (fillfactor = 70);
COMMENT ON TABLE treasure.wallets IS
  'One coin balance per player, opened by the player''s first claim or grant';

CREATE TABLE treasure.inventories (
  player_id bigint NOT NULL CHECK (player_id > 0),
  item      text NOT NULL,
  qty       integer NOT NULL CHECK (qty >= 0),
  PRIMARY KEY (player_id, item)
) WITH (fillfactor = 70);
COMMENT ON TABLE treasure.inventories IS
  'Items a player holds; a key a claim consumed stays as a row with qty 0';

-- A claim_id is unique across shards when each shard's sequence gets its own START and INCREMENT.
CREATE SEQUENCE treasure.claim_id_seq CACHE 32;
COMMENT ON SEQUENCE treasure.claim_id_seq IS 'Source of claims.claim_id (cached per backend: ids are unique, not gap-free)';

-- The guard that makes a double payment impossible: one row per (player, chest), one row per request_id.
-- No foreign key to chests on purpose: the RI check would lock the chest row FOR KEY SHARE on every claim
-- and turn a popular chest into a hot row.
CREATE TABLE treasure.claims (
  player_id     bigint NOT NULL,
  chest_id      bigint NOT NULL,
  claim_id      bigint NOT NULL DEFAULT nextval('treasure.claim_id_seq'),
  request_id    uuid NOT NULL UNIQUE,
  session_id    bigint,
  coins_awarded bigint NOT NULL,
  item_awarded  text,
  item_qty      integer,
  key_used      text,
  claimed_at    timestamptz NOT NULL,
  PRIMARY KEY (player_id, chest_id)
);
ALTER SEQUENCE treasure.claim_id_seq OWNED BY treasure.claims.claim_id;
COMMENT ON TABLE treasure.claims IS
  'One row per successful claim; its primary key (player_id, chest_id) and UNIQUE request_id make paying twice impossible';

CREATE SEQUENCE treasure.event_id_seq CACHE 32;
COMMENT ON SEQUENCE treasure.event_id_seq IS 'Source of claim_events.event_id';

CREATE TABLE treasure.claim_events (
  player_id     bigint NOT NULL,
  claim_id      bigint NOT NULL,
  event_id      bigint NOT NULL DEFAULT nextval('treasure.event_id_seq'),
  chest_id      bigint NOT NULL,
  coins_awarded bigint NOT NULL,
  balance_after bigint NOT NULL,
  occurred_at   timestamptz NOT NULL,
  PRIMARY KEY (player_id, claim_id)
);
ALTER SEQUENCE treasure.event_id_seq OWNED BY treasure.claim_events.event_id;
COMMENT ON TABLE treasure.claim_events IS
  'Analytics ledger: exactly one event per claim, written in the claim''s own transaction; balance_after lets a replay return the original balance';

CREATE TABLE treasure.player_stats (
  player_id     bigint PRIMARY KEY,
  claims        bigint NOT NULL,
  coins_awarded bigint NOT NULL,
  last_claim_at timestamptz NOT NULL
) WITH (fillfactor = 70);
COMMENT ON TABLE treasure.player_stats IS 'Analytics counters per player, updated by every claim';

CREATE SEQUENCE treasure.grant_id_seq CACHE 32;
COMMENT ON SEQUENCE treasure.grant_id_seq IS 'Source of item_grants.grant_id';
CREATE TABLE treasure.item_grants (
  player_id  bigint NOT NULL,
  grant_id   bigint NOT NULL DEFAULT nextval('treasure.grant_id_seq'),
  item       text NOT NULL,
  qty        integer NOT NULL CHECK (qty > 0),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (player_id, grant_id)
);
ALTER SEQUENCE treasure.grant_id_seq OWNED BY treasure.item_grants.grant_id;
COMMENT ON TABLE treasure.item_grants IS
  'Audit ledger of grant_item(): with claims it explains every inventory quantity';

-- pg_dump keeps the rows (and the sequence positions) of extension tables only when told to.
SELECT pg_catalog.pg_extension_config_dump('treasure.chests', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.wallets', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.inventories', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.claims', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.claim_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.claim_events', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.player_stats', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.item_grants', '');
SELECT pg_catalog.pg_extension_config_dump('treasure.grant_id_seq', '');

-- The hot path.  SECURITY DEFINER so callers need no table privileges; the pinned search_path means no
-- name or operator it uses can be redirected by a caller's search_path.
CREATE FUNCTION claim_treasure(player_id bigint, chest_id bigint, request_id uuid, session_id bigint DEFAULT NULL)
  RETURNS TABLE (status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text,
                 item_qty integer, key_used text, balance bigint, claimed_at timestamptz)
  AS 'MODULE_PATHNAME', 'claim_treasure'
  LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
  ROWS 1
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION claim_treasure(bigint, bigint, uuid, bigint) IS
  'Confirms a tap in one transaction: takes the key, gives the item, credits the wallet, records the claim and its analytics; status claimed (replayed on a retried request_id), already_claimed, key_required or chest_closed';

CREATE FUNCTION treasure.put_chest(chest_id bigint, coins bigint, item text DEFAULT NULL, item_qty integer DEFAULT 1,
                                   key_item text DEFAULT NULL, opens_at timestamptz DEFAULT NULL,
                                   closes_at timestamptz DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF put_chest.chest_id IS NULL OR put_chest.coins IS NULL OR put_chest.item_qty IS NULL THEN
    RAISE EXCEPTION 'chest_id, coins and item_qty must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF put_chest.chest_id <= 0 THEN
    RAISE EXCEPTION 'chest_id must be positive, got %', put_chest.chest_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF put_chest.coins < 0 THEN
    RAISE EXCEPTION 'coins must not be negative, got %', put_chest.coins USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF put_chest.item_qty <= 0 THEN
    RAISE EXCEPTION 'item_qty must be positive, got %', put_chest.item_qty USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM treasure.check_item_name('item', put_chest.item);
  PERFORM treasure.check_item_name('key_item', put_chest.key_item);
  IF put_chest.closes_at <= put_chest.opens_at THEN
    RAISE EXCEPTION 'closes_at (%) must be after opens_at (%)', put_chest.closes_at, put_chest.opens_at
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF put_chest.item IS NOT NULL AND put_chest.item = put_chest.key_item THEN
    RAISE EXCEPTION 'a chest cannot give the item it requires as its key (%)', put_chest.item
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  INSERT INTO treasure.chests AS c (chest_id, coins, item, item_qty, key_item, opens_at, closes_at)
  VALUES (put_chest.chest_id, put_chest.coins, put_chest.item, put_chest.item_qty, put_chest.key_item,
          put_chest.opens_at, put_chest.closes_at)
  ON CONFLICT ON CONSTRAINT chests_pkey DO UPDATE
    SET coins = EXCLUDED.coins, item = EXCLUDED.item, item_qty = EXCLUDED.item_qty, key_item = EXCLUDED.key_item,
        opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at;
END
$$;
COMMENT ON FUNCTION treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz) IS
  'Creates or replaces a chest definition; claims already made keep what they awarded';

CREATE FUNCTION treasure.check_item_name(argument text, name text)
  RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF name IS NULL THEN
    RETURN;
  END IF;
  IF name !~ '\S' THEN
    RAISE EXCEPTION '% must not be empty', argument USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(name) > 128 THEN
    RAISE EXCEPTION '% must be at most 128 characters, got %', argument, char_length(name)
      USING ERRCODE = 'string_data_right_truncation';
  END IF;
END
$$;
COMMENT ON FUNCTION treasure.check_item_name(text, text) IS
  'Raises 22023 for an empty or all-whitespace item name and 22001 for one longer than 128 characters';

CREATE FUNCTION treasure.grant_item(player_id bigint, item text, qty integer)
  RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  new_qty integer;
BEGIN
  IF grant_item.player_id IS NULL OR grant_item.item IS NULL OR grant_item.qty IS NULL THEN
    RAISE EXCEPTION 'player_id, item and qty must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF grant_item.player_id <= 0 THEN
    RAISE EXCEPTION 'player_id must be positive, got %', grant_item.player_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF grant_item.qty <= 0 THEN
    RAISE EXCEPTION 'qty must be positive, got %', grant_item.qty USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM treasure.check_item_name('item', grant_item.item);

  -- claim_treasure() relies on this: a player who holds any item has a wallet row, which it locks to
  -- serialise the player's key-consuming claims.
  INSERT INTO treasure.wallets (player_id, balance) VALUES (grant_item.player_id, 0)
  ON CONFLICT ON CONSTRAINT wallets_pkey DO NOTHING;

  INSERT INTO treasure.inventories AS i (player_id, item, qty)
  VALUES (grant_item.player_id, grant_item.item, grant_item.qty)
  ON CONFLICT ON CONSTRAINT inventories_pkey DO UPDATE SET qty = i.qty + EXCLUDED.qty
  RETURNING i.qty INTO new_qty;

  INSERT INTO treasure.item_grants (player_id, item, qty)
  VALUES (grant_item.player_id, grant_item.item, grant_item.qty);
  RETURN new_qty;
END
$$;
COMMENT ON FUNCTION treasure.grant_item(bigint, text, integer) IS
  'Adds qty of an item to a player''s inventory (opening the wallet if needed) and returns the new quantity';

-- Nobody but the extension owner writes the tables or calls the admin functions until a DBA grants it.
REVOKE ALL ON ALL TABLES IN SCHEMA treasure FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA treasure FROM PUBLIC;
REVOKE ALL ON FUNCTION claim_treasure(bigint, bigint, uuid, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.grant_item(bigint, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.check_item_name(text, text) FROM PUBLIC;
