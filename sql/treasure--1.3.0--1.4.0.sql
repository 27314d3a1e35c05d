-- treasure 1.3.0 -> 1.4.0: the claim's own costs (issue 17, "Performance against this machine's own floors").
-- Every section below names the change it brings; claim_treasure()'s signature and nine columns are unchanged.
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.4.0'" to load this file. \quit
