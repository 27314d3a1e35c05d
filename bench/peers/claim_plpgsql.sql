-- Peer 1: the SAME claim as claim_treasure(), written the way a careful team writes it in PL/pgSQL: one
-- statement per step, the player's wallet locked first so keys cannot be spent twice, the same statuses,
-- SQLSTATEs and rows written (claims, claim_events, wallets with their analytics counters, inventories).  SECURITY DEFINER
-- with a pinned search_path like the extension's function, so both pay the same call overhead.
CREATE SCHEMA IF NOT EXISTS bench_peers;
CREATE OR REPLACE FUNCTION bench_peers.claim_plpgsql(p_player bigint, p_chest bigint, p_request uuid,
                                                     p_session bigint DEFAULT NULL)
  RETURNS TABLE (status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text,
                 item_qty integer, key_used text, balance bigint, claimed_at timestamptz)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER ROWS 1
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c treasure.chests%ROWTYPE;
  k treasure.claims%ROWTYPE;
  v_balance bigint;
  v_now timestamptz := pg_catalog.now();
BEGIN
  IF p_player IS NULL OR p_chest IS NULL OR p_request IS NULL THEN
    RAISE EXCEPTION 'player_id, chest_id and request_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF p_player <= 0 OR p_chest <= 0 THEN
    RAISE EXCEPTION 'ids must be positive' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO c FROM treasure.chests ch WHERE ch.chest_id = p_chest;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'chest % does not exist', p_chest USING ERRCODE = 'no_data_found';
  END IF;

  -- Lock the player: serialises this player's claims, keys included.  A player without a wallet holds no
  -- key (grant_item opens it); the credit below opens the wallet.
  SELECT w.balance INTO v_balance FROM treasure.wallets w WHERE w.player_id = p_player FOR NO KEY UPDATE;
  v_balance := coalesce(v_balance, 0);

  SELECT * INTO k FROM treasure.claims cl WHERE cl.request_id = p_request;
  IF FOUND THEN
    IF k.player_id <> p_player OR k.chest_id <> p_chest THEN
      RAISE EXCEPTION 'request_id % was already used for a different claim', p_request USING ERRCODE = 'unique_violation';
    END IF;
    RETURN QUERY SELECT 'claimed', true, k.claim_id, k.coins_awarded, k.item_awarded, k.item_qty, k.key_used,
                        e.balance_after, k.claimed_at
                   FROM treasure.claim_events e WHERE e.player_id = p_player AND e.claim_id = k.claim_id;
    RETURN;
  END IF;
  SELECT * INTO k FROM treasure.claims cl WHERE cl.player_id = p_player AND cl.chest_id = p_chest;
  IF FOUND THEN
    RETURN QUERY SELECT 'already_claimed', false, k.claim_id, 0::bigint, NULL::text, NULL::integer, NULL::text,
                        v_balance, k.claimed_at;
    RETURN;
  END IF;
  IF NOT ((c.opens_at IS NULL OR c.opens_at <= v_now) AND (c.closes_at IS NULL OR v_now < c.closes_at)) THEN
    RETURN QUERY SELECT 'chest_closed', false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
                        v_balance, NULL::timestamptz;
    RETURN;
  END IF;
  IF c.key_item IS NOT NULL THEN
    UPDATE treasure.inventories i SET qty = i.qty - 1
     WHERE i.player_id = p_player AND i.item = c.key_item AND i.qty > 0;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'key_required', false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
                          v_balance, NULL::timestamptz;
      RETURN;
    END IF;
  END IF;

  INSERT INTO treasure.claims AS cl (player_id, chest_id, request_id, session_id, coins_awarded, item_awarded,
                                     item_qty, key_used, claimed_at)
  VALUES (p_player, p_chest, p_request, p_session, c.coins, c.item,
          CASE WHEN c.item IS NOT NULL THEN c.item_qty END, c.key_item, v_now)
  ON CONFLICT DO NOTHING
  RETURNING * INTO k;
  IF NOT FOUND THEN
    -- A new player (no wallet, so nothing locked) raced with itself: the other claim committed; report it.
    RETURN QUERY SELECT * FROM bench_peers.claim_plpgsql(p_player, p_chest, p_request, p_session);
    RETURN;
  END IF;
  IF c.item IS NOT NULL THEN
    INSERT INTO treasure.inventories AS i (player_id, item, qty) VALUES (p_player, c.item, c.item_qty)
    ON CONFLICT (player_id, item) DO UPDATE SET qty = i.qty + EXCLUDED.qty;
  END IF;
  INSERT INTO treasure.wallets AS w (player_id, balance, claims, coins_awarded, last_claim_at)
  VALUES (p_player, c.coins, 1, c.coins, v_now)
  ON CONFLICT (player_id) DO UPDATE
     SET balance = w.balance + EXCLUDED.balance, claims = w.claims + 1,
         coins_awarded = w.coins_awarded + EXCLUDED.coins_awarded,
         last_claim_at = GREATEST(w.last_claim_at, EXCLUDED.last_claim_at)
  RETURNING w.balance INTO v_balance;
  INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at)
  VALUES (p_player, k.claim_id, p_chest, c.coins, v_balance, v_now);
  RETURN QUERY SELECT 'claimed', false, k.claim_id, k.coins_awarded, k.item_awarded, k.item_qty, k.key_used,
                      v_balance, k.claimed_at;
END
$$;
