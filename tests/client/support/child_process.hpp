#pragma once
// Programs run as child processes by the tests: the project's own (found in $TREASURE_BUILD_DIR, default build/,
// relative to the repository root) and tools such as curl and openssl.  Header-only.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace treasure::testing {

inline std::string program(const std::string &name)
{
    const char *directory = std::getenv("TREASURE_BUILD_DIR");
    return std::string(directory ? directory : "build") + "/" + name;
}

// A child process whose stdout (and, with with_stderr, its stderr too) we read through a pipe.  argv[0] without a
// slash is looked up in PATH (curl, openssl).
class Child {
public:
    explicit Child(const std::vector<std::string> &argv, bool with_stderr = false)
    {
        int fds[2];
        if (::pipe(fds) != 0)
            throw std::runtime_error("pipe failed");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            if (with_stderr)
                ::dup2(fds[1], STDERR_FILENO);
            ::close(fds[0]);
            ::close(fds[1]);
            std::vector<char *> args;
            for (const auto &arg : argv)
                args.push_back(const_cast<char *>(arg.c_str()));
            args.push_back(nullptr);
            ::execvp(args[0], args.data());
            std::perror("execvp");
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
    }
    ~Child()
    {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(out_);
    }
    std::string read_line()
    {
        std::string line;
        char c;
        while (::read(out_, &c, 1) == 1 && c != '\n')
            line += c;
        return line;
    }
    std::string read_all()
    {
        std::string text;
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(out_, buffer, sizeof buffer)) > 0)
            text.append(buffer, static_cast<std::size_t>(n));
        return text;
    }
    void signal(int number) { ::kill(pid_, number); }
    // The exit status, or -1 when it did not exit normally.
    int wait()
    {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    bool reaped_ = false;
};

struct Finished {
    int exit_code;       // -1 when it did not exit normally
    std::string output;  // stdout and stderr
};

// Runs argv to its end.
inline Finished run_to_end(const std::vector<std::string> &argv)
{
    Child child(argv, true);
    std::string output = child.read_all();
    return Finished{child.wait(), std::move(output)};
}

}  // namespace treasure::testing
