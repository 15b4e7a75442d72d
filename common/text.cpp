#include "common/text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>

namespace agora {

namespace {

// The length of the well-formed sequence at s[i], or 0.
size_t sequenceAt(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c == 0xe0) n = 3, lo = 0xa0;
  else if (c == 0xed) n = 3, hi = 0x9f;  // no UTF-16 surrogates
  else if (c >= 0xe1 && c <= 0xef) n = 3;
  else if (c == 0xf0) n = 4, lo = 0x90;
  else if (c >= 0xf1 && c <= 0xf3) n = 4;
  else if (c == 0xf4) n = 4, hi = 0x8f;
  else return 0;
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  return n;
}

// The offset of the first byte that is not part of well-formed UTF-8, or npos.
size_t firstBadByte(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t n = sequenceAt(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace

bool isUtf8(std::string_view s) { return firstBadByte(s) == std::string_view::npos; }

Status checkText(const std::string& what, std::string_view value, size_t maxBytes) {
  if (value.size() > maxBytes)
    return Error(what + " is " + std::to_string(value.size()) + " bytes long; the limit is " +
                 std::to_string(maxBytes));
  size_t bad = firstBadByte(value);
  if (bad != std::string_view::npos) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(value[bad]));
    return Error(what + " is not UTF-8 text (byte " + hex + " at offset " + std::to_string(bad) + ")");
  }
  return Status::OK();
}

std::string printable(std::string_view bytes) {
  bool plain = !bytes.empty();
  for (char c : bytes) plain = plain && c >= 0x20 && c < 0x7f;
  if (plain) return std::string(bytes);
  static const char digits[] = "0123456789abcdef";
  std::string out = "0x";
  for (char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

std::vector<std::string> splitText(const std::string& text, char separator) {
  std::vector<std::string> pieces;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    pieces.push_back(text.substr(start, end - start));
    if (end == text.size()) return pieces;
    start = end + 1;
  }
}

Try<std::string> readWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(std::strerror(errno));
  std::string text;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Error(std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace agora
