#pragma once
// The limits of treasure-gateway's admission control (admission.hpp), apart from it so that GatewayConfig, and
// whoever includes gateway.hpp, need no HTTP library.
#include <chrono>
#include <cstddef>
#include <functional>

namespace treasure {

struct AdmissionOptions {
    std::size_t workers = 32;
    std::size_t max_queued = 128;                      // connections waiting for a worker
    std::chrono::milliseconds max_queue_wait{1000};    // shed a connection that waited longer
    std::chrono::milliseconds request_timeout{15000};  // read + answer one request; 0 = no limit
    std::function<void()> on_shed;                     // called once per shed connection (metrics)
};

}  // namespace treasure
