#include "impl/node/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dynamo::node {
namespace {

Status write_and_sync(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{"cannot write " + path + ": " + std::strerror(errno)};
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
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

Status replace_file_durably(const std::string& dir, const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".tmp";
  if (Status s = write_and_sync(temporary, bytes); !s.ok()) return s;
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    return Error{"cannot replace " + path + ": " + std::strerror(errno)};
  return sync_directory(dir);
}

Result<std::optional<std::string>> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Error{"cannot read " + path + ": " + std::strerror(errno)};
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Error{"cannot read " + path};
  return std::optional<std::string>(bytes.str());
}

}  // namespace dynamo::node
