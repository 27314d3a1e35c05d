-- treasure 1.1.0 -> 1.2.0: the player's analytics counters move onto the wallet row, so a claim updates one
-- row where it updated two (one heap update, index probe and WAL record fewer per claim: bench/FINDINGS.md).
-- treasure.player_stats becomes a view with the same columns and rows.
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.2.0'" to load this file. \quit

ALTER TABLE treasure.wallets
  ADD COLUMN claims bigint NOT NULL DEFAULT 0,
  ADD COLUMN coins_awarded bigint NOT NULL DEFAULT 0,
  ADD COLUMN last_claim_at timestamptz;
COMMENT ON TABLE treasure.wallets IS
  'One row per player, opened by the player''s first claim or grant: the coin balance, and the analytics counters of treasure.player_stats';
COMMENT ON COLUMN treasure.wallets.claims IS 'Analytics: claims counted for the player (see treasure.player_stats)';
COMMENT ON COLUMN treasure.wallets.coins_awarded IS 'Analytics: coins awarded by the counted claims (see treasure.player_stats)';
COMMENT ON COLUMN treasure.wallets.last_claim_at IS 'Analytics: time of the latest counted claim (see treasure.player_stats)';

-- Every counted claim opened a wallet (claims and the saga's credit step do), but a wallet is cheap insurance.
INSERT INTO treasure.wallets (player_id, balance)
SELECT s.player_id, 0 FROM treasure.player_stats s
ON CONFLICT (player_id) DO NOTHING;
UPDATE treasure.wallets w
   SET claims = s.claims, coins_awarded = s.coins_awarded, last_claim_at = s.last_claim_at
  FROM treasure.player_stats s
 WHERE s.player_id = w.player_id;

-- Detached first, so that its pg_dump configuration (pg_extension.extconfig) goes with it.
ALTER EXTENSION treasure DROP TABLE treasure.player_stats;
DROP TABLE treasure.player_stats;
CREATE VIEW treasure.player_stats AS
  SELECT w.player_id, w.claims, w.coins_awarded, w.last_claim_at
    FROM treasure.wallets w
   WHERE w.claims > 0;
COMMENT ON VIEW treasure.player_stats IS
  'Analytics counters per player who has claimed, updated by every claim (stored on the wallet row since 1.2.0)';
REVOKE ALL ON treasure.player_stats FROM PUBLIC;

-- The saga's count step: the counters on the wallet row.
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
