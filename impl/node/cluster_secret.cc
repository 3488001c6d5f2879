#include "impl/node/cluster_secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "impl/net/peer_auth.h"

namespace dynamo::node {
namespace {

constexpr std::size_t kMaxSecretFileBytes = 4096;

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

Status check_private(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error{path + ": " + std::strerror(errno)};
  if ((st.st_mode & 077) != 0)
    return Error{path + " is accessible by group or others (mode " + octal_mode(st.st_mode) + "); run chmod 600 " +
                 path};
  return {};
}

Result<std::string> read_secret_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error{path + ": cannot open (" + std::strerror(errno) + "); create it with `openssl rand -hex 32 > " + path +
                 " && chmod 600 " + path + "`, the same file on every node"};
  struct stat st {};
  std::string secret;
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = Error{path + ": " + std::strerror(errno)};
  } else if (!S_ISREG(st.st_mode)) {
    status = Error{path + " is not a regular file"};
  } else if ((st.st_mode & 077) != 0) {
    status = Error{path + " is accessible by group or others (mode " + octal_mode(st.st_mode) + "); run chmod 600 " +
                   path};
  } else {
    char buf[kMaxSecretFileBytes + 1];
    ssize_t n = 0;
    while (secret.size() <= kMaxSecretFileBytes && (n = ::read(fd, buf, sizeof buf)) > 0)
      secret.append(buf, static_cast<std::size_t>(n));
    if (n < 0) status = Error{path + ": cannot read (" + std::strerror(errno) + ")"};
    else if (secret.size() > kMaxSecretFileBytes)
      status = Error{path + " is larger than " + std::to_string(kMaxSecretFileBytes) + " bytes; is it the secret?"};
  }
  ::close(fd);
  if (!status.ok()) return status.error();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ' ||
                             secret.back() == '\t'))
    secret.pop_back();
  if (secret.size() < net::kMinSecretBytes || secret.size() > net::kMaxSecretBytes)
    return Error{path + " holds a secret of " + std::to_string(secret.size()) + " bytes; a cluster secret is " +
                 std::to_string(net::kMinSecretBytes) + ".." + std::to_string(net::kMaxSecretBytes) +
                 " bytes (e.g. `openssl rand -hex 32 > " + path + "`)"};
  return secret;
}

Status ensure_secret_file(const std::string& path) {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) return Error{"cannot draw a random secret (OpenSSL RAND_bytes failed)"};
  static const char* kHex = "0123456789abcdef";
  std::string text;
  for (unsigned char b : random) text += {kHex[b >> 4], kHex[b & 15]};
  text += '\n';
  // O_EXCL: never overwrite a secret the cluster already uses; 0600 from creation, never wider.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return Error{path + ": cannot create the secret file (" + std::strerror(errno) + ")"};
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return Error{path + ": cannot write the secret file"};
  return {};
}

}  // namespace dynamo::node
