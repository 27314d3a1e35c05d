-- A chest redefined by put_chest() between two claims of the same backend.  claim_treasure() remembers each
-- chest's shape (coins only, gives an item, needs a key) to choose a narrower statement; these claims run
-- right after a redefinition, so each one starts from a stale shape and must still claim what the chest is
-- NOW, and a refusal must write nothing.
\pset null '(null)'
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants RESTART IDENTITY;

CREATE FUNCTION pg_temp.ledger() RETURNS text LANGUAGE sql AS $$
  SELECT format('wallets=%s coins=%s items=%s claims=%s events=%s stats=%s',
                (SELECT count(*) FROM treasure.wallets), (SELECT COALESCE(sum(balance), 0) FROM treasure.wallets),
                (SELECT COALESCE(sum(qty), 0) FROM treasure.inventories), (SELECT count(*) FROM treasure.claims),
                (SELECT count(*) FROM treasure.claim_events), (SELECT COALESCE(sum(claims), 0) FROM treasure.player_stats))
$$;

SELECT treasure.put_chest(1, 10);                                 -- coins only
SELECT treasure.put_chest(2, 20, 'gem');                          -- gives an item
SELECT treasure.put_chest(3, 30, 'crown', 1, 'golden_key');       -- needs a key
SELECT treasure.grant_item(100, 'golden_key', 3);

-- This backend learns the three shapes.
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(1, 1, '00000000-0000-0000-0000-00000000c101');
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(1, 2, '00000000-0000-0000-0000-00000000c102');
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(100, 3, '00000000-0000-0000-0000-00000000c103');

-- Coins only -> needs a key: a player without the key gets key_required and nothing is written; a player
-- with the key spends it.
SELECT treasure.put_chest(1, 11, NULL, 1, 'golden_key');
SELECT pg_temp.ledger();
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(2, 1, '00000000-0000-0000-0000-00000000c201');
SELECT pg_temp.ledger();
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(100, 1, '00000000-0000-0000-0000-00000000c202');
SELECT qty AS keys_left FROM treasure.inventories WHERE player_id = 100 AND item = 'golden_key';

-- Gives an item -> coins only (the hint says "item", the chest gives none now).
SELECT treasure.put_chest(2, 21);
SELECT status, coins_awarded, item_awarded, item_qty FROM claim_treasure(3, 2, '00000000-0000-0000-0000-00000000c301');
-- Coins only -> gives an item (chest 2 again, remembered as coins only by now).
SELECT treasure.put_chest(2, 22, 'pearl', 2);
SELECT status, coins_awarded, item_awarded, item_qty FROM claim_treasure(4, 2, '00000000-0000-0000-0000-00000000c401');
-- Gives an item -> needs a key: no key, nothing written; with the key, claimed.
SELECT treasure.put_chest(2, 23, 'pearl', 1, 'golden_key');
SELECT pg_temp.ledger();
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(5, 2, '00000000-0000-0000-0000-00000000c501');
SELECT pg_temp.ledger();
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(100, 2, '00000000-0000-0000-0000-00000000c502');

-- Needs a key -> coins only: claimed without a key, and no key is taken.
SELECT treasure.put_chest(3, 31);
SELECT status, coins_awarded, item_awarded, key_used FROM claim_treasure(6, 3, '00000000-0000-0000-0000-00000000c601');
-- A remembered chest that closed, and one that was never defined.
SELECT treasure.put_chest(1, 12, opens_at => now() - interval '2 hours', closes_at => now() - interval '1 hour');
SELECT status, coins_awarded FROM claim_treasure(7, 1, '00000000-0000-0000-0000-00000000c701');
SELECT status FROM claim_treasure(7, 99, '00000000-0000-0000-0000-00000000c702');
-- Replays and already_claimed through every narrow statement.
SELECT status, replayed, coins_awarded, item_awarded FROM claim_treasure(6, 3, '00000000-0000-0000-0000-00000000c601');
SELECT status, replayed, coins_awarded, item_awarded FROM claim_treasure(4, 2, '00000000-0000-0000-0000-00000000c4ff');
SELECT treasure.put_chest(4, 40);
SELECT status FROM claim_treasure(8, 4, '00000000-0000-0000-0000-00000000c801');
SELECT status, replayed FROM claim_treasure(8, 4, '00000000-0000-0000-0000-00000000c802');

SELECT player_id, balance FROM treasure.wallets ORDER BY player_id;
SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item;
SELECT pg_temp.ledger();
SELECT * FROM treasure.reconcile();
