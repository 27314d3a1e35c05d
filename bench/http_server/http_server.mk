# The HTTP-server comparison (bench/http_server/README.md): the real treasure-gateway (cpp-httplib) against
# beast-gateway, an event-driven prototype (Boost.Beast/Asio, header-only from libboost-dev) that links the
# gateway's own claim code.  Included after src/client.mk, whose CLIENT_* variables, client_objs and
# $(CLIENT_LIB) it reuses; explicit rules only.
#   make http-server-programs  build/bench/http_server/beast-gateway, build/treasure-gateway, build/treasure
#   make http-server-compare   bash bench/http_server/compare.sh (its own throwaway cluster; see the README)
HTTP_SERVER_BUILD    := $(CLIENT_BUILD)/bench/http_server
HTTP_SERVER_PROGRAMS := $(HTTP_SERVER_BUILD)/beast-gateway
# The gateway's request parsing and status mapping, linked as they are (not copied).
HTTP_SERVER_GATEWAY_OBJS := $(call client_objs,src/gateway/claim_json.cpp src/gateway/http_status.cpp)

.PHONY: http-server-programs http-server-compare
http-server-programs: $(HTTP_SERVER_PROGRAMS) $(CLIENT_BUILD)/treasure-gateway $(CLIENT_BUILD)/treasure

$(HTTP_SERVER_BUILD)/beast-gateway: bench/http_server/beast_gateway.cpp $(HTTP_SERVER_GATEWAY_OBJS) $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) $(CLIENT_CPPFLAGS) -o $@ $< $(HTTP_SERVER_GATEWAY_OBJS) $(CLIENT_LIB) $(CLIENT_LDLIBS)

http-server-compare: http-server-programs
	bash bench/http_server/compare.sh
