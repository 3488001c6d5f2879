#include "impl/cli/read_file.h"

#include <fstream>

namespace dynamo::cli {

Result<std::string> read_file(const std::string& path, std::uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot read the file"};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0) return Error{path + ": cannot read the file"};
  if (static_cast<std::uint64_t>(size) > max_bytes) {
    return Error{path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB, the limit on this input"};
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), size);
  if (in.gcount() != size) return Error{path + ": cannot read the file"};
  return text;
}

}  // namespace dynamo::cli
