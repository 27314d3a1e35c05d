#pragma once
// libjose's headers, which (in Debian 12's libjose 11) carry no extern "C" of their own: every C++ file takes
// them from here.
#include <jansson.h>

extern "C" {
#include <jose/b64.h>
#include <jose/cfg.h>
#include <jose/jwk.h>
#include <jose/jws.h>
#include <jose/openssl.h>
}
