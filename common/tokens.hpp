#pragma once
// HTTP bearer tokens: who is calling an HTTP API, and whether it may change anything. The file
// is shaped like Kubernetes' static token file, one token per line (docs/security.md, "Token
// file"):
//   # TOKEN,PRINCIPAL,SCOPE
//   f16be39ef2e21c59dfca96dbfebe1d0fdac10b43426c53256e870d3df55f090e,ops,operator
//   fa909748ca47003296591fef8bcdc38af602bd7aa1932114d45703feb17aaea8,dashboard,read
// The principal is the one the ACL (common/acl.hpp) names; the scope limits a token to
// reading (GET and HEAD) or lets it operate as well.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/try.hpp"

namespace agora {

enum class Scope { kRead, kOperator };

// "read", "operator": the words of the file.
const char* scopeName(Scope s);

struct TokenGrant {
  std::string principal;
  Scope scope;
};

class TokenBook {
 public:
  // Lines "TOKEN,PRINCIPAL,SCOPE", blanks around a field ignored; a line whose first
  // non-blank character is '#' is a comment, and so is anything after a '#' on a token's
  // line (no field may hold '#'). A token is at least 16 characters of [A-Za-z0-9._~+/=-];
  // the same token twice is an error. Errors name "SOURCE:LINE: what is wrong, and what to
  // write instead", and never quote a token, nor a field that could be one (a token in the
  // wrong column): they reach the logs.
  static Try<TokenBook> parse(const std::string& text, const std::string& source);
  // parse() of the file's text with the path as the source; the error names the path if the
  // file cannot be read. Warns (in the log) when the file is readable by other users.
  static Try<TokenBook> load(const std::string& path);

  // The grant of `token`. Every listed token is compared, each in time that does not depend
  // on where the texts differ, so that timing tells a client nothing about the tokens.
  std::optional<TokenGrant> find(const std::string& token) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string token;
    TokenGrant grant;
  };
  // A list rather than a map: find() compares against every entry anyway, and a static token
  // file holds tens of tokens, not thousands.
  std::vector<Entry> entries_;
};

// A fresh token: 32 random bytes (from /dev/urandom, else std::random_device) as 64 hex
// digits, which need no escaping in a URL (?access_token=) nor in the file.
std::string newToken();

// A daemon's --tokens: nothing (tokens off) for an empty path; the error names the flag.
Try<std::shared_ptr<const TokenBook>> tokensFromFlag(const std::string& path);

}  // namespace agora
