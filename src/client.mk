# Client shim build (placeholder until the client lands).
.PHONY: client install-client clean-client
client:
install-client:
clean-client:
