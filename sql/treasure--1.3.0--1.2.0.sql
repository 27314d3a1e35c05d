-- treasure 1.3.0 -> 1.2.0: removes bundles, loot, stock, the claim limit, caps, reversals and claim_awards.
-- Refuses while that would lose data 1.2.0 cannot hold: a guaranteed item besides put_chest's own, a loot
-- table, a stock, a claim limit, a wallet or item cap, a reversal, or a claim whose awards are more than its
-- claims row's item (bundle or loot awards).  Remove the configuration first (put_chest_item(.., 0),
-- put_loot(.., 0, NULL), set_stock(.., NULL), set_claim_limit(NULL, NULL), set_wallet_cap(NULL),
-- set_item_cap(.., NULL)); claims with such awards and reversals cannot be given up and keep 1.3.0.  It also
-- refuses while a saga of a featured chest runs (let it finish) or a finished saga has a 1.3.0 status
-- (saga_purge() removes it).
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.2.0'" to load this file. \quit

DO $$
DECLARE
  kept text[] := ARRAY[]::text[];
  n bigint;
BEGIN
  n := (SELECT count(*) FROM treasure.chest_items);
  IF n > 0 THEN kept := kept || (n || ' guaranteed chest item(s) (chest_items)'); END IF;
  n := (SELECT count(*) FROM treasure.loot_tables);
  IF n > 0 THEN kept := kept || (n || ' loot table(s)'); END IF;
  n := (SELECT count(DISTINCT s.chest_id) FROM treasure.stock_slots s);
  IF n > 0 THEN kept := kept || (n || ' chest stock(s)'); END IF;
  n := (SELECT count(*) FROM treasure.claim_rules);
  IF n > 0 THEN kept := kept || (n || ' claim limit / wallet cap rule(s)'); END IF;
  n := (SELECT count(*) FROM treasure.item_caps);
  IF n > 0 THEN kept := kept || (n || ' item cap(s)'); END IF;
  n := (SELECT count(*) FROM treasure.claim_reversals);
  IF n > 0 THEN kept := kept || (n || ' reversal(s)'); END IF;
  n := (SELECT count(*) FROM treasure.claim_awards a
         WHERE NOT EXISTS (SELECT FROM treasure.claims k
                            WHERE k.player_id = a.player_id AND k.claim_id = a.claim_id AND a.source = 'guaranteed'
                              AND k.item_awarded = a.item AND k.item_qty = a.qty))
       + (SELECT count(*) FROM treasure.claim_loot);
  IF n > 0 THEN kept := kept || (n || ' bundle or loot award(s) of claims'); END IF;
  n := (SELECT count(*) FROM treasure.sagas g
         WHERE (g.state NOT IN ('completed', 'aborted')
                AND (g.loot <> '[]' OR g.awards <> CASE WHEN g.item IS NULL THEN '[]'::jsonb ELSE
                       pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('source', 'guaranteed', 'item', g.item, 'qty', g.item_qty)) END))
            OR g.outcome IN ('sold_out', 'rate_limited', 'wallet_full', 'inventory_full'));
  IF n > 0 THEN kept := kept || (n || ' running saga(s) of a featured chest or saga(s) refused with a 1.3.0 status'); END IF;
  IF cardinality(kept) > 0 THEN
    RAISE EXCEPTION 'cannot downgrade treasure to 1.2.0: it would lose %', array_to_string(kept, ', ')
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Remove the 1.3.0 configuration first (sql/treasure--1.3.0--1.2.0.sql says how); claims with bundle or loot awards and reversals keep the database on 1.3.0; let featured sagas finish and saga_purge() those refused with a 1.3.0 status.';
  END IF;
END
$$;

DROP FUNCTION treasure.record_awards(bigint, bigint, jsonb, jsonb);
DROP FUNCTION treasure.give_awards(bigint, jsonb);
DROP FUNCTION treasure.take_stock_unit(bigint, bigint, integer);
DROP FUNCTION treasure.stock_state(bigint);
DROP FUNCTION treasure.claim_cap_refusal(bigint, bigint, jsonb);
DROP FUNCTION treasure.claim_awards_of(bigint, treasure.chests);
DROP FUNCTION treasure.claim_limit_tokens(double precision, timestamptz, timestamptz);
DROP FUNCTION treasure.reverse_claim(bigint, uuid, text, boolean);
DROP FUNCTION treasure.explain_claim(bigint, uuid);
DROP FUNCTION treasure.claim_details(bigint, bigint, text);
DROP FUNCTION treasure.claim_featured(bigint, bigint, uuid, bigint);
DROP FUNCTION treasure.claim_retry_after_ms(bigint);
DROP FUNCTION treasure.claim_tokens_now(double precision, timestamptz, integer, interval, timestamptz);
DROP FUNCTION treasure.set_item_cap(text, integer);
DROP FUNCTION treasure.set_wallet_cap(bigint);
DROP FUNCTION treasure.set_claim_limit(integer, interval);
DROP FUNCTION treasure.chest_stock(bigint);
DROP FUNCTION treasure.set_stock(bigint, bigint);
DROP FUNCTION treasure.put_loot(bigint, integer, jsonb, text);
DROP FUNCTION treasure.loot_roll(bigint, bigint, integer, text, integer, jsonb);
DROP FUNCTION treasure.put_chest_item(bigint, text, integer);
DROP FUNCTION treasure.require_chest(bigint);
DROP FUNCTION treasure.refresh_claim_features(bigint);

ALTER TABLE treasure.wallets DROP COLUMN claim_tokens, DROP COLUMN claim_tokens_at;

-- The saga path of 1.2.0 (saga_claim() and saga_next_step() from treasure--1.0.0--1.1.0.sql): no awards on the saga.
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

    -- No key visible: key_required at once (the take_key step still decides under the player's lock).
    SELECT * INTO a FROM treasure.saga_answer(saga_claim.player_id, saga_claim.chest_id, saga_claim.request_id, true) x;
    IF FOUND THEN
      RETURN QUERY SELECT NULL::bigint, a.status, a.replayed, a.claim_id, a.coins_awarded, a.item_awarded,
                          a.item_qty, a.key_used, a.balance, a.claimed_at;
      RETURN;
    END IF;

    SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = saga_claim.chest_id;
    INSERT INTO treasure.sagas AS g (player_id, chest_id, request_id, session_id, coins, item, item_qty, key_item, state)
    VALUES (saga_claim.player_id, saga_claim.chest_id, saga_claim.request_id, saga_claim.session_id, c.coins,
            c.item, CASE WHEN c.item IS NOT NULL THEN c.item_qty END, c.key_item,
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
    WHEN after = 'commit' AND saga.item IS NOT NULL THEN 'give_item'
    WHEN after IN ('commit', 'give_item') THEN 'count'
  END
$$;
COMMENT ON FUNCTION treasure.saga_next_step(treasure.sagas, text) IS
  'The forward step after the given one, skipping take_key without a key and give_item without an item; NULL after count';

CREATE OR REPLACE VIEW treasure.saga_in_flight AS
  SELECT g.player_id, g.saga_id, g.chest_id, g.request_id, g.state, g.outcome,
         CASE WHEN g.credited AND NOT g.refunded AND g.claim_id IS NULL THEN g.coins ELSE 0 END AS coins_in_flight,
         CASE WHEN g.key_taken AND NOT g.key_returned AND g.claim_id IS NULL THEN g.key_item END AS key_in_flight,
         CASE WHEN g.claim_id IS NOT NULL AND g.item IS NOT NULL AND NOT g.item_given THEN g.item END AS item_owed,
         g.claim_id IS NOT NULL AND NOT g.counted AS count_owed,
         g.started_at, g.updated_at, g.error
    FROM treasure.sagas g
   WHERE g.state NOT IN ('completed', 'aborted');
COMMENT ON VIEW treasure.saga_in_flight IS
  'Running sagas and what they hold: coins credited and a key taken but not yet committed or undone, an item and counters owed after the commit; reconcile() accounts for these';

ALTER TABLE treasure.sagas
  DROP COLUMN awards,
  DROP COLUMN loot,
  DROP CONSTRAINT sagas_outcome_check,
  ADD CONSTRAINT sagas_outcome_check
    CHECK (outcome IN ('claimed', 'replayed', 'already_claimed', 'key_required', 'request_id_conflict', 'failed'));

-- Detached first, so that their pg_dump configuration goes with them.
ALTER EXTENSION treasure DROP TABLE treasure.claim_reversals;
ALTER EXTENSION treasure DROP TABLE treasure.claim_features;
ALTER EXTENSION treasure DROP TABLE treasure.item_caps;
ALTER EXTENSION treasure DROP TABLE treasure.claim_rules;
ALTER EXTENSION treasure DROP TABLE treasure.stock_slots;
ALTER EXTENSION treasure DROP TABLE treasure.loot_seeds;
ALTER EXTENSION treasure DROP TABLE treasure.loot_tables;
ALTER EXTENSION treasure DROP TABLE treasure.chest_items;
ALTER EXTENSION treasure DROP TABLE treasure.claim_loot;
ALTER EXTENSION treasure DROP TABLE treasure.claim_awards;
DROP TABLE treasure.claim_reversals, treasure.claim_features, treasure.item_caps, treasure.claim_rules,
           treasure.stock_slots, treasure.loot_seeds, treasure.loot_tables, treasure.chest_items,
           treasure.claim_loot, treasure.claim_awards;

-- The 1.2.0 bodies of the functions 1.3.0 changed (reconcile() and saga_answer() from treasure--1.0.0--1.1.0.sql,
-- saga_work() from treasure--1.1.0--1.2.0.sql).
CREATE OR REPLACE FUNCTION treasure.reconcile()
  RETURNS TABLE (player_id bigint, subject text, problem text, expected bigint, actual bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH pending AS (
    SELECT g.player_id, g.chest_id, g.key_item, g.item, g.item_qty,
           CASE WHEN g.credited AND NOT g.refunded AND g.claim_id IS NULL THEN g.coins ELSE 0 END AS coins,
           g.key_taken AND NOT g.key_returned AND g.claim_id IS NULL AS key_out,
           g.claim_id IS NOT NULL AND g.item IS NOT NULL AND NOT g.item_given AS item_owed,
           g.claim_id IS NOT NULL AND NOT g.counted AS count_owed, g.claim_id
      FROM treasure.sagas g
     WHERE g.state NOT IN ('completed', 'aborted')
  ), wallet_expected AS (
    SELECT x.player_id, sum(x.coins) AS coins
      FROM (SELECT k.player_id, k.coins_awarded AS coins FROM treasure.claims k
            UNION ALL SELECT p.player_id, p.coins FROM pending p) x
     GROUP BY x.player_id
  ), wallet_check AS (
    SELECT COALESCE(w.player_id, e.player_id) AS player_id, 'wallet'::text AS subject,
           'balance differs from the coins of its claims'::text AS problem,
           COALESCE(e.coins, 0)::bigint AS expected, COALESCE(w.balance, 0) AS actual
      FROM treasure.wallets w FULL JOIN wallet_expected e ON e.player_id = w.player_id
     WHERE COALESCE(w.balance, 0) <> COALESCE(e.coins, 0)
  ), item_moves AS (
    SELECT ig.player_id, ig.item, ig.qty::bigint AS qty FROM treasure.item_grants ig
    UNION ALL SELECT k.player_id, k.item_awarded, k.item_qty FROM treasure.claims k WHERE k.item_awarded IS NOT NULL
    UNION ALL SELECT k.player_id, k.key_used, -1 FROM treasure.claims k WHERE k.key_used IS NOT NULL
    UNION ALL SELECT p.player_id, p.key_item, -1 FROM pending p WHERE p.key_out
    UNION ALL SELECT p.player_id, p.item, -p.item_qty FROM pending p WHERE p.item_owed
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
      FROM treasure.claims k FULL JOIN treasure.claim_events e ON e.player_id = k.player_id AND e.claim_id = k.claim_id
     WHERE k.claim_id IS NULL OR e.claim_id IS NULL OR e.coins_awarded <> k.coins_awarded OR e.chest_id <> k.chest_id
  ), stats_expected AS (
    SELECT k.player_id, count(*) AS claims, sum(k.coins_awarded) AS coins
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
        OR (g.state = 'completed' AND (g.claim_id IS NULL OR (g.item IS NOT NULL AND NOT g.item_given) OR NOT g.counted
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
  'One row per disagreement between claims, wallets, inventories (+ item_grants), claim_events, player_stats and finished sagas; amounts of sagas in flight (treasure.saga_in_flight) are accounted for, not reported; empty when consistent';

CREATE OR REPLACE FUNCTION treasure.saga_answer(player_id bigint, chest_id bigint, request_id uuid, check_key boolean)
  RETURNS TABLE (status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text,
                 item_qty integer, key_used text, balance bigint, claimed_at timestamptz)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c treasure.chests;
  k treasure.claims;
  current_balance bigint;
BEGIN
  SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = saga_answer.chest_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'chest % does not exist', saga_answer.chest_id USING ERRCODE = 'no_data_found';
  END IF;
  current_balance := COALESCE((SELECT w.balance FROM treasure.wallets w WHERE w.player_id = saga_answer.player_id), 0);

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
  IF check_key AND c.key_item IS NOT NULL
     AND NOT EXISTS (SELECT FROM treasure.inventories i
                      WHERE i.player_id = saga_answer.player_id AND i.item = c.key_item AND i.qty > 0) THEN
    RETURN QUERY SELECT 'key_required'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer,
                        NULL::text, current_balance, NULL::timestamptz;
  END IF;
END
$$;
COMMENT ON FUNCTION treasure.saga_answer(bigint, bigint, uuid, boolean) IS
  'claim_treasure()''s answer when no saga is needed (replay, already_claimed, chest_closed, key_required if check_key), else no row; raises P0002 and 23505 like claim_treasure()';

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
      -- The point of no return: the same guard as claim_treasure().
      INSERT INTO treasure.claims AS c
             (player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used, claimed_at)
      VALUES (s.player_id, s.chest_id, s.request_id, s.session_id, s.coins, s.item, s.item_qty, s.key_item,
              pg_catalog.now())
      ON CONFLICT DO NOTHING
      RETURNING c.* INTO k;
      IF k.claim_id IS NOT NULL THEN
        SELECT w.balance INTO balance_now FROM treasure.wallets w WHERE w.player_id = s.player_id;
        INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at)
        VALUES (s.player_id, k.claim_id, s.chest_id, s.coins, balance_now, k.claimed_at);
        UPDATE treasure.sagas g SET claim_id = k.claim_id, outcome = 'claimed'
         WHERE g.player_id = s.player_id AND g.saga_id = s.saga_id;
        PERFORM treasure.saga_advance(s, 'commit');
        PERFORM pg_catalog.pg_notify('treasure_saga_done', s.saga_id::text);
        result_text := 'applied';
      ELSE
        -- Claimed meanwhile (the atomic path or another request): undo everything and say so.
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
      INSERT INTO treasure.inventories AS i (player_id, item, qty) VALUES (s.player_id, s.item, s.item_qty)
      ON CONFLICT (player_id, item) DO UPDATE SET qty = i.qty + EXCLUDED.qty;
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
