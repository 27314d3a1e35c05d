-- Included by the regress files that need it (\i runs from the repository root, where make installcheck
-- runs pg_regress): runs a statement and shows its SQLSTATE and message instead of aborting the script.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
