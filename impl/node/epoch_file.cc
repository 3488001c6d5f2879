#include "impl/node/epoch_file.h"

#include "impl/node/durable_file.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dynamo::node {

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
  if (Status s = replace_file_durably(data_dir, path, std::to_string(epoch) + "\n"); !s.ok()) return s.error();
  return epoch;
}

}  // namespace dynamo::node
