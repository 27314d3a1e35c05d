#include "gateway/static_files.hpp"

#include <array>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

#ifndef TREASURE_DATADIR
#define TREASURE_DATADIR "/usr/local/share/treasure"
#endif

namespace treasure {

namespace {

constexpr std::uintmax_t max_file_bytes = 1024 * 1024;
const std::regex file_name(R"([A-Za-z0-9_-][A-Za-z0-9._-]{0,127})");

struct FileType {
    std::string_view extension;
    std::string_view content_type;
};
constexpr std::array<FileType, 7> file_types{{{".html", "text/html; charset=utf-8"},
                                              {".js", "text/javascript; charset=utf-8"},
                                              {".css", "text/css; charset=utf-8"},
                                              {".json", "application/json"},
                                              {".png", "image/png"},
                                              {".svg", "image/svg+xml"},
                                              {".txt", "text/plain; charset=utf-8"}}};

std::optional<std::string> real_path(const std::string &path)
{
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved))
        return std::nullopt;
    return std::string(resolved);
}

bool is_regular_file(const std::string &path)
{
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

std::optional<std::string> web_root_of(const std::string &configured)
{
    if (!configured.empty())
        return real_path(configured);
    std::array<std::string, 2> candidates{"", std::string(TREASURE_DATADIR) + "/web"};
    char executable[PATH_MAX];
    const ssize_t length = ::readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length > 0) {
        const std::string binary(executable, static_cast<std::size_t>(length));
        candidates[0] = binary.substr(0, binary.rfind('/')) + "/../share/treasure/web";
    }
    for (const auto &candidate : candidates)
        if (!candidate.empty() && is_regular_file(candidate + "/play.html"))
            return real_path(candidate);
    return std::nullopt;
}

Answer not_found() { return error_answer(404, "not_found", "no such file"); }

}  // namespace

StaticFiles::StaticFiles(const std::string &root) : root_(web_root_of(root)) {}

Answer StaticFiles::answer(std::string_view path) const
{
    std::string name;
    if (path == "/play" || path == "/play/")
        name = "play.html";
    else if (path.substr(0, 5) == "/web/")
        name = std::string(path.substr(5));
    if (!root_ || name.empty() || !std::regex_match(name, file_name) || name.find("..") != std::string::npos)
        return not_found();
    const FileType *type = nullptr;
    for (const auto &candidate : file_types)
        if (name.size() > candidate.extension.size() &&
            name.compare(name.size() - candidate.extension.size(), std::string::npos, candidate.extension) == 0)
            type = &candidate;
    if (!type)
        return not_found();
    const auto file = real_path(*root_ + "/" + name);
    if (!file || file->compare(0, root_->size() + 1, *root_ + "/") != 0 || !is_regular_file(*file))
        return not_found();
    std::ifstream in(*file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in.good() && !in.eof())
        return error_answer(500, "internal", "cannot read the file");
    Answer answer;
    answer.body = content.str();
    if (answer.body.size() > max_file_bytes)
        return error_answer(500, "internal", "the file is larger than the gateway serves");
    answer.content_type = std::string(type->content_type);
    const bool html = type->extension == ".html";
    answer.headers.emplace_back("Cache-Control", html ? "no-cache" : "public, max-age=300");
    answer.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (html)
        answer.headers.emplace_back("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                    "frame-ancestors 'none'; form-action 'none'");
    return answer;
}

}  // namespace treasure
