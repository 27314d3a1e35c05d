-- The loot roll's distribution matches the weights: a chi-square goodness-of-fit test over 100,000 draws of
-- treasure.loot_roll() (the function every claim, its replay and the saga path roll with), for 100,000
-- players on one chest, with a fixed seed (so the test cannot flake) and a fixed significance level of 0.001.
-- Weights 1, 2, 3, 4 (3 degrees of freedom): the critical value of chi-square at 0.001 is 16.266.
CREATE TEMP TABLE draws AS
SELECT r.entry, count(*) AS observed
  FROM generate_series(1, 100000) p,
       treasure.loot_roll(p, 77, 1, 'fairness seed', 1,
                          '[{"coins": 1, "weight": 1}, {"coins": 2, "weight": 2}, {"coins": 3, "weight": 3}, {"coins": 4, "weight": 4}]') r
 GROUP BY r.entry;
SELECT count(*) AS entries, sum(observed) AS draws FROM draws;
SELECT sum((observed - 100000 * entry / 10.0) ^ 2 / (100000 * entry / 10.0)) < 16.266 AS matches_the_weights
  FROM draws;
-- The same test has the power to fail: against equal weights the same draws are far outside.
SELECT sum((observed - 25000.0) ^ 2 / 25000.0) > 16.266 AS differs_from_equal_weights FROM draws;

-- max_repeats: with three rolls and an entry allowed once, no claim rolls it twice, and the other entries
-- share the rest by their weights (chi-square over the remaining rolls, 1 degree of freedom, 10.828 at 0.001).
CREATE TEMP TABLE capped AS
SELECT p, r.roll, r.entry
  FROM generate_series(1, 20000) p,
       treasure.loot_roll(p, 78, 1, 'fairness seed', 3,
                          '[{"coins": 1, "weight": 5, "max_repeats": 1}, {"coins": 2, "weight": 1}, {"coins": 3, "weight": 1}]') r;
SELECT count(*) AS claims_rolling_entry_1_twice
  FROM (SELECT p FROM capped WHERE entry = 1 GROUP BY p HAVING count(*) > 1) twice;
SELECT count(*) AS rolls FROM capped;
SELECT sum((n - total / 2.0) ^ 2 / (total / 2.0)) < 10.828 AS others_share_by_weight
  FROM (SELECT count(*) AS n, sum(count(*)) OVER () AS total FROM capped WHERE entry > 1 GROUP BY entry) e;
