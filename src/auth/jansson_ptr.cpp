#include "auth/jansson_ptr.hpp"

#include <cstdarg>

namespace treasure {

namespace {

void ignore_jose_error(void *, const char *, int, uint64_t, const char *, va_list) {}

struct JoseCfgDecref {
    void operator()(jose_cfg_t *cfg) const { jose_cfg_decref(cfg); }
};

}  // namespace

jose_cfg_t *quiet_jose_cfg()
{
    thread_local std::unique_ptr<jose_cfg_t, JoseCfgDecref> cfg = [] {
        std::unique_ptr<jose_cfg_t, JoseCfgDecref> made(jose_cfg());
        if (made)
            jose_cfg_set_err_func(made.get(), ignore_jose_error, nullptr);
        return made;
    }();
    return cfg.get();
}

}  // namespace treasure
