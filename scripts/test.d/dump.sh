# pg_dump | pg_restore keeps the extension's data (tables marked with pg_extension_config_dump).
exec bash tests/dump/dump_restore.sh
