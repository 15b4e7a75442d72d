#pragma once
// Checks for text that enters from outside (a peer's message, an HTTP body): every string
// the master keeps ends up in JSON for the API, so it must be UTF-8, and it must be short
// enough that one peer cannot make the state huge.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/try.hpp"

namespace agora {

// Well-formed UTF-8: no stray continuation bytes, no truncated or overlong sequences,
// no surrogates, nothing above U+10FFFF.
bool isUtf8(std::string_view s);

// Lengths the master accepts for the strings it keeps.
inline constexpr size_t kMaxNameBytes = 1024;      // framework, task and host names, principals
inline constexpr size_t kMaxLabelBytes = 4096;     // label and attribute values
inline constexpr size_t kMaxRoleBytes = 256;

// OK, or "<what> is not UTF-8 text (byte 0xff at offset 3)" / "<what> is 2000 bytes long;
// the limit is 1024". `what` names the field as the sender wrote it: "task 'x' name".
Status checkText(const std::string& what, std::string_view value, size_t maxBytes);

// `bytes` as they are when every byte is printable ASCII, else as "0x" and hex digits: for
// logging ids a peer chose or ZeroMQ made up (routing ids are binary).
std::string printable(std::string_view bytes);

// The pieces of `text` between separators, empty ones included ("a,,b" -> a, "", b; "" -> "").
std::vector<std::string> splitText(const std::string& text, char separator);

// A whole file, or strerror's words for why not. read(2) rather than a stream: a directory
// given by mistake fails (EISDIR) instead of reading as an empty file, which for an
// allow-list, an ACL or a token file would silently refuse everyone.
Try<std::string> readWholeFile(const std::string& path);

}  // namespace agora
