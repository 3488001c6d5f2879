// result.h: errors as values. A Result<T> holds either a T or an Error whose message says what
// failed and what to do about it; the core never throws for bad input and never crashes on it.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "impl/core/check.h"

namespace dynamo {

struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}       // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  // REQUIRES: ok()
  const T& value() const& { DYNAMO_CHECK(ok()); return std::get<T>(state_); }
  T&& value() && { DYNAMO_CHECK(ok()); return std::get<T>(std::move(state_)); }
  // REQUIRES: !ok()
  const Error& error() const { DYNAMO_CHECK(!ok()); return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  bool ok() const { return ok_; }
  const Error& error() const { DYNAMO_CHECK(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace dynamo
