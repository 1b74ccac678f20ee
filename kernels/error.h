// latent::Error and the checks that raise it.
//
// A user mistake (wrong shape, wrong device, a bad file, a bad flag) throws latent::Error with a
// message that says what was expected and what was found. LATENT_CHECK is for such conditions; it
// is active in every build type because it guards user input, not internal invariants.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace latent {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
// Concatenates any streamable arguments into one string.
template <typename... Args>
std::string Concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace detail

}  // namespace latent

// Throws latent::Error with the streamed message when `cond` is false.
#define LATENT_CHECK(cond, ...)                                          \
  do {                                                                   \
    if (!(cond)) throw ::latent::Error(::latent::detail::Concat(__VA_ARGS__)); \
  } while (0)

#define LATENT_FAIL(...) throw ::latent::Error(::latent::detail::Concat(__VA_ARGS__))
