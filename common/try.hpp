#pragma once
// Try<T>: a value or an error message saying what was wrong. Errors from outside the
// program (bad input, I/O, a peer) travel as values; exceptions are for bugs.

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <glog/logging.h>

namespace agora {

struct Error {
  std::string message;
  explicit Error(std::string m) : message(std::move(m)) {}
};

template <typename T>
class [[nodiscard]] Try {
 public:
  Try(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Try(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  bool isError() const { return !ok(); }
  const T& get() const& {
    CHECK(ok()) << "Try::get() on an error: " << error();
    return std::get<0>(v_);
  }
  T& get() & {
    CHECK(ok()) << "Try::get() on an error: " << error();
    return std::get<0>(v_);
  }
  T&& get() && {
    CHECK(ok()) << "Try::get() on an error: " << error();
    return std::get<0>(std::move(v_));
  }
  const T& operator*() const& { return get(); }
  T& operator*() & { return get(); }
  const T* operator->() const { return &get(); }
  T* operator->() { return &get(); }
  const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

// Nothing or an error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e.message)) {}  // NOLINT
  static Status OK() { return Status(); }
  bool ok() const { return !error_.has_value(); }
  const std::string& error() const { return *error_; }

 private:
  std::optional<std::string> error_;
};

}  // namespace agora
