# Extension upgrade 1.0.0 -> 1.1.0 and downgrade back: data, contract, reconcile(), same schema as a fresh install.
exec bash tests/upgrade/upgrade_test.sh
