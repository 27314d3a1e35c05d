-- The hunt the benchmarks run against: 1,000 chests (every tenth needs a key, every fifth gives an item)
-- and 100,000 players, a third of whom hold a key.  Plus the table of the bare UPDATE ceiling.
CREATE EXTENSION IF NOT EXISTS treasure;
SELECT treasure.put_chest(c, 10 + c % 90,
                          CASE WHEN c % 5 = 0 THEN 'gem' END, 1 + c % 3,
                          CASE WHEN c % 10 = 0 THEN 'golden_key' END)
  FROM generate_series(1, 1000) AS c;
SELECT count(treasure.grant_item(p, 'golden_key', 5)) FROM generate_series(1, 100000, 3) AS p;
CREATE TABLE bench_counters (player_id bigint PRIMARY KEY, n bigint NOT NULL) WITH (fillfactor = 70);
INSERT INTO bench_counters SELECT p, 0 FROM generate_series(1, 100000) AS p;
VACUUM ANALYZE;
-- The reference implementations of the same claim (bench/peers/).
\ir peers/claim_plpgsql.sql
