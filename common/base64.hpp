#pragma once
// Standard base64 (RFC 4648, with padding), as etcd's JSON gateway writes keys and values.

#include <string>
#include <string_view>

#include "common/try.hpp"

namespace agora {

std::string base64Encode(std::string_view bytes);
// An error names the first byte that is not base64.
Try<std::string> base64Decode(std::string_view text);

}  // namespace agora
