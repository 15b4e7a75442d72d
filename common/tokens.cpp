#include "common/tokens.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string_view>

#include <glog/logging.h>

#include "common/principals.hpp"
#include "common/text.hpp"

namespace agora {

namespace {

constexpr size_t kMinTokenChars = 16;
constexpr std::string_view kTokenPunctuation = "._~+/=-";
const char* const kMakeOne = "make one with `openssl rand -hex 32`";

bool tokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kTokenPunctuation.find(c) != std::string_view::npos;
}

std::string trimmed(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

// `field` quoted for an error, if it is too short to be a token: a token written in the
// wrong column must not reach the logs through the message that points at it.
std::string quotedIfNotSecret(const std::string& field) {
  return field.size() < kMinTokenChars ? " '" + field + "'" : "";
}

// Equal texts, in time that depends on their lengths only, not on where they differ.
bool sameText(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Reads exactly `n` bytes of /dev/urandom into `out`, or says it could not.
bool urandom(unsigned char* out, size_t n) {
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return got == n;
}

}  // namespace

const char* scopeName(Scope s) {
  switch (s) {
    case Scope::kRead: return "read";
    case Scope::kOperator: return "operator";
  }
  return "unknown";
}

Try<TokenBook> TokenBook::parse(const std::string& text, const std::string& source) {
  TokenBook book;
  std::map<std::string, size_t> lineOf;  // token -> the line that listed it
  std::vector<std::string> lines = splitText(text, '\n');
  for (size_t n = 1; n <= lines.size(); ++n) {
    // No field may hold '#', so everything after one is a comment.
    std::string line = lines[n - 1].substr(0, lines[n - 1].find('#'));
    if (trimmed(line).empty()) continue;
    std::string where = source + ":" + std::to_string(n) + ": ";
    std::vector<std::string> fields = splitText(line, ',');
    if (fields.size() != 3)
      return Error(where + "expected TOKEN,PRINCIPAL,SCOPE, found " + std::to_string(fields.size()) +
                   (fields.size() == 1 ? " field" : " fields") +
                   "; write three fields separated by commas, e.g. TOKEN,ops,operator");
    std::string token = trimmed(fields[0]), principal = trimmed(fields[1]), scopeText = trimmed(fields[2]);
    if (token.size() < kMinTokenChars)
      return Error(where + "token too short: a token has at least " + std::to_string(kMinTokenChars) +
                   " characters; " + kMakeOne);
    for (size_t i = 0; i < token.size(); ++i)
      if (!tokenChar(token[i]))
        return Error(where + "the token has a character that is not allowed at position " + std::to_string(i + 1) +
                     "; a token is made of A-Z a-z 0-9 . _ ~ + / = - (" + kMakeOne + ")");
    if (!validPrincipalName(principal))
      return Error(where + "the principal" + quotedIfNotSecret(principal) +
                   " (field 2) is not a valid name; write 1 to 64 characters of A-Z a-z 0-9 . _ -");
    Scope scope;
    if (scopeText == "read") scope = Scope::kRead;
    else if (scopeText == "operator") scope = Scope::kOperator;
    else
      return Error(where + "the scope" + quotedIfNotSecret(scopeText) +
                   " (field 3) is neither 'read' nor 'operator'; write one of the two");
    auto [it, fresh] = lineOf.emplace(token, n);
    if (!fresh)
      return Error(where + "the same token as line " + std::to_string(it->second) +
                   "; give every principal and scope a token of its own (" + kMakeOne + ")");
    book.entries_.push_back({token, {principal, scope}});
  }
  return book;
}

Try<TokenBook> TokenBook::load(const std::string& path) {
  auto unreadable = [&](const std::string& why) {
    return Error("cannot read the token file " + path + ": " + why +
                 " (give a file of TOKEN,PRINCIPAL,SCOPE lines; see docs/security.md, \"Token file\")");
  };
  Try<std::string> text = readWholeFile(path);
  if (text.isError()) return unreadable(text.error());
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH))) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    LOG(WARNING) << "The token file " << path << " is readable by other users (mode " << mode
                 << "): whoever reads it can call the API as its principals; chmod 600 it";
  }
  return parse(*text, path);
}

std::optional<TokenGrant> TokenBook::find(const std::string& token) const {
  // No early exit: the time taken is the same whichever entry matches, or none.
  const Entry* found = nullptr;
  for (const Entry& entry : entries_)
    if (sameText(token, entry.token)) found = &entry;
  if (!found) return std::nullopt;
  return found->grant;
}

std::string newToken() {
  unsigned char bytes[32];
  if (!urandom(bytes, sizeof bytes)) {
    try {
      std::random_device device;
      for (unsigned char& b : bytes) b = static_cast<unsigned char>(device());
    } catch (const std::exception& e) {
      // A predictable token would be worse than none: nothing can go on without randomness.
      LOG(FATAL) << "cannot make a token: neither /dev/urandom nor std::random_device gives random bytes ("
                 << e.what() << ")";
    }
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 0xf];
  }
  return token;
}

Try<std::shared_ptr<const TokenBook>> tokensFromFlag(const std::string& path) {
  if (path.empty()) return std::shared_ptr<const TokenBook>();
  Try<TokenBook> book = TokenBook::load(path);
  if (book.isError()) return Error("--tokens: " + book.error());
  return std::make_shared<const TokenBook>(std::move(*book));
}

}  // namespace agora
