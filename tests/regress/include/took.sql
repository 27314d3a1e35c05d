-- Included by the regress files that check which path took a claim (\i runs from the repository root).
-- pg_temp.took(intended) says whether the last claim took the path the file means it to take.  The
-- intended path is only expected where the direct path can take claims at all: with treasure.direct_claims
-- off (the statements suite) and in a statements-only build (treasure.direct_path_built off) every claim is
-- the statements', and the output must be the same.
CREATE FUNCTION pg_temp.took(intended text) RETURNS text
LANGUAGE sql AS $$
  SELECT CASE WHEN current_setting('treasure.last_claim_path') = expected THEN 'took the intended path'
              ELSE 'took the ' || current_setting('treasure.last_claim_path') || ' path, not the ' || expected END
    FROM (SELECT CASE WHEN current_setting('treasure.direct_path_built')::bool
                           AND current_setting('treasure.direct_claims')::bool THEN intended
                      ELSE 'statements' END AS expected) e
$$;
