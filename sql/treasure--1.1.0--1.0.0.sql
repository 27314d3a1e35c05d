-- treasure 1.1.0 -> 1.0.0: removes the saga path and reconcile().  Refuses while a saga is running (its
-- coins or key would be left in flight): stop the saga path, let its workers drain the sagas, then downgrade.
-- Claims made by sagas stay: they are ordinary claims rows, events, wallets and counters.
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.0.0'" to load this file. \quit

DO $$
BEGIN
  IF EXISTS (SELECT FROM treasure.sagas g WHERE g.state NOT IN ('completed', 'aborted')) THEN
    RAISE EXCEPTION 'cannot downgrade treasure to 1.0.0: % saga(s) still running',
      (SELECT count(*) FROM treasure.sagas g WHERE g.state NOT IN ('completed', 'aborted'))
      USING ERRCODE = 'object_in_use', HINT = 'Stop routing claims to the saga path and let treasure-saga finish them.';
  END IF;
END
$$;

DROP FUNCTION treasure.reconcile();
DROP VIEW treasure.saga_in_flight;
DROP FUNCTION treasure.saga_purge(interval);
DROP FUNCTION treasure.saga_expire(interval);
DROP FUNCTION treasure.saga_work(text, text);
DROP FUNCTION treasure.saga_outcome(bigint, bigint);
DROP FUNCTION treasure.saga_claim(bigint, bigint, uuid, bigint);
DROP FUNCTION treasure.saga_answer(bigint, bigint, uuid, boolean);
DROP FUNCTION treasure.saga_compensate(bigint, bigint, text, text);
DROP FUNCTION treasure.saga_advance(treasure.sagas, text);
DROP FUNCTION treasure.saga_next_step(treasure.sagas, text);
DROP FUNCTION treasure.saga_enqueue(bigint, bigint, text);
DROP FUNCTION treasure.saga_worker_of(text);
-- Dropping a table in an extension script would leave its pg_dump configuration (pg_extension.extconfig)
-- behind; detaching it from the extension first removes that entry.
ALTER EXTENSION treasure DROP SEQUENCE treasure.saga_message_id_seq;
ALTER EXTENSION treasure DROP SEQUENCE treasure.saga_id_seq;
ALTER EXTENSION treasure DROP TABLE treasure.saga_messages;
ALTER EXTENSION treasure DROP TABLE treasure.saga_steps;
ALTER EXTENSION treasure DROP TABLE treasure.sagas;
DROP TABLE treasure.saga_messages;
DROP TABLE treasure.saga_steps;
DROP TABLE treasure.sagas;
