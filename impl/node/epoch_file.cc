#include "impl/node/epoch_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dynamo::node {
namespace {

Status write_durably(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{"cannot write " + path + ": " + std::strerror(errno)};
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) return Error{"cannot write " + path + ": " + std::strerror(saved)};
  return {};
}

Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot open " + dir + ": " + std::strerror(errno)};
  const int rv = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rv != 0) return Error{"cannot sync " + dir + ": " + std::strerror(saved)};
  return {};
}

}  // namespace

Result<std::uint64_t> next_epoch(const std::string& data_dir, std::uint64_t first_epoch) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Error{"cannot create the data directory " + data_dir + ": " + ec.message()};
  const std::string path = data_dir + "/epoch";
  std::uint64_t epoch = 0;
  std::ifstream in(path);
  if (!in) {
    epoch = std::max<std::uint64_t>(first_epoch, 1);
  } else {
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), epoch);
    if (err != std::errc() || end != s.data() + s.size() || s.empty())
      return Error{path + " holds \"" + s.substr(0, 40) + "\", not an epoch number: the data directory is damaged"};
    epoch += 1;
  }
  const std::string temporary = path + ".tmp";
  if (Status s = write_durably(temporary, std::to_string(epoch) + "\n"); !s.ok()) return s.error();
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    return Error{"cannot replace " + path + ": " + std::strerror(errno)};
  if (Status s = sync_directory(data_dir); !s.ok()) return s.error();
  return epoch;
}

}  // namespace dynamo::node
