#pragma once
// The CURVE allow-list: which public keys may connect to the master, and as which principal.
// The master's ZAP handler (common/curve_auth.hpp) admits a connection whose key is listed
// here, and every message of that connection then carries the principal, which the ACL
// (common/acl.hpp) authorizes.
//
// The file holds one key per line (docs/security.md, "Allow-list file"):
//   # PRINCIPAL  Z85-PUBLIC-KEY
//   agent-pool   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
//   team-a       iGF>eer:.?O1}5!^p/+VaEX78wKQ(CJD)6B]By^&   # laptop
// A line whose first word starts with '#' is a comment, and so is anything after the key that
// starts with a '#' word ('#' is itself a Z85 character, so it may appear inside a key).

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "common/try.hpp"

namespace agora {

// A principal's name: 1 to 64 characters of [A-Za-z0-9._-], so that it is safe in a log line,
// a metric label, a file name and a URL without quoting.
bool validPrincipalName(const std::string& name);

class PrincipalBook {
 public:
  // Every error names "SOURCE:LINE: what is wrong, and what to write instead". A key is 40
  // characters of Z85 that decode to 32 bytes; the same key twice is an error (even for the
  // same principal), and one principal may have several keys. Key text is never quoted in an
  // error: a secret key pasted by mistake must not reach the logs. An empty text gives an
  // empty book, which admits nobody.
  static Try<PrincipalBook> parse(const std::string& text, const std::string& source);
  // parse() of the file's text with the path as the source; the error names the path if the
  // file cannot be read.
  static Try<PrincipalBook> load(const std::string& path);

  // The principal of a listed key (Z85 text, as ZeroMQ's ZAP request gives it once encoded).
  std::optional<std::string> principalOf(const std::string& z85PublicKey) const;
  // The number of keys listed.
  size_t size() const { return principals_.size(); }

 private:
  std::map<std::string, std::string> principals_;  // Z85 public key -> principal
};

}  // namespace agora
