# PL/Proxy sharding: the contract and the races through a router in front of 4 shards.
exec bash tests/shards/shards_test.sh
