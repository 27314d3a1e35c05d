#pragma once
// GET /play and /web/{file}: the reference page and the JavaScript client (src/web), served from one flat directory.
//   /play, /play/   play.html
//   /web/NAME       NAME in the directory: letters, digits, '.', '_' and '-', not starting with '.', one level
//                   only, a known type (.html .js .css .json .png .svg .txt); anything else is 404
// Each answer has its Content-Type, X-Content-Type-Options: nosniff, a Content-Security-Policy that lets the page
// load and call only its own origin, and Cache-Control: no-cache for HTML (a new release shows at once), a short
// max-age for the rest.  A file whose real path leaves the directory (a symlink) is 404 too.
// Open routes (edge.hpp): anyone may fetch them, with no credentials and no limit; they read no database.
#include <optional>
#include <string>
#include <string_view>

#include "gateway/answer.hpp"

namespace treasure {

class StaticFiles {
public:
    // root: --web-root; empty: the first directory holding play.html of <binary>/../share/treasure/web and
    // the compiled-in install prefix's share/treasure/web.  Without one every file is 404.
    explicit StaticFiles(const std::string &root);

    // Reads the file (blocking: call it on a worker pool).  path is the decoded path of the request.
    Answer answer(std::string_view path) const;
    const std::optional<std::string> &root() const { return root_; }

private:
    std::optional<std::string> root_;  // its real path
};

}  // namespace treasure
