#include "common/principals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include <zmq.h>

#include "common/text.hpp"

namespace agora {

namespace {

constexpr size_t kMaxPrincipalChars = 64;
constexpr size_t kZ85KeyChars = 40;
constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const char* const kWhereKeysComeFrom = "copy it from the .pub file made by `agora keygen`";

// The words of a line, split at blanks.
std::vector<std::string> wordsOf(const std::string& line) {
  std::vector<std::string> words;
  size_t at = 0;
  while (true) {
    at = line.find_first_not_of(" \t\r", at);
    if (at == std::string::npos) return words;
    size_t end = line.find_first_of(" \t\r", at);
    if (end == std::string::npos) end = line.size();
    words.push_back(line.substr(at, end - at));
    at = end;
  }
}


// What is wrong with a public key, or nothing. Says where, never what: the text may be a
// secret key pasted by mistake.
std::optional<std::string> keyProblem(const std::string& key) {
  if (key.size() != kZ85KeyChars)
    return "is " + std::to_string(key.size()) + " characters long; a CURVE public key is " +
           std::to_string(kZ85KeyChars) + " characters of Z85";
  for (size_t i = 0; i < key.size(); ++i)
    if (kZ85Alphabet.find(key[i]) == std::string_view::npos)
      return "has a character that is not Z85 at position " + std::to_string(i + 1);
  uint8_t bytes[32];
  if (zmq_z85_decode(bytes, key.c_str()) == nullptr)
    return "is not a valid Z85 key (it does not decode to 32 bytes)";
  return std::nullopt;
}

}  // namespace

bool validPrincipalName(const std::string& name) {
  if (name.empty() || name.size() > kMaxPrincipalChars) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Try<PrincipalBook> PrincipalBook::parse(const std::string& text, const std::string& source) {
  PrincipalBook book;
  std::map<std::string, size_t> lineOf;  // key -> the line that listed it
  std::vector<std::string> lines = splitText(text, '\n');
  for (size_t n = 1; n <= lines.size(); ++n) {
    std::vector<std::string> words = wordsOf(lines[n - 1]);
    if (words.empty() || words[0][0] == '#') continue;
    // After the key, a word that starts with '#' opens a comment; the key itself may hold
    // '#', a Z85 character.
    if (words.size() > 2 && words[2][0] == '#') words.resize(2);
    std::string where = source + ":" + std::to_string(n) + ": ";
    if (words.size() != 2)
      return Error(where + "expected 'PRINCIPAL PUBLIC-KEY', found " + std::to_string(words.size()) +
                   (words.size() == 1 ? " word" : " words") +
                   ": write the principal's name, a blank, then its 40-character Z85 public key (" +
                   kWhereKeysComeFrom + "); one key per line, comments after '#'");
    const std::string& principal = words[0];
    const std::string& key = words[1];
    if (!validPrincipalName(principal))
      return Error(where + "the principal's name (the first word) is not valid: write 1 to 64 characters of "
                           "A-Z a-z 0-9 . _ -");
    if (std::optional<std::string> problem = keyProblem(key))
      return Error(where + "the public key of '" + principal + "' " + *problem + "; " + kWhereKeysComeFrom);
    auto [it, fresh] = lineOf.emplace(key, n);
    if (!fresh)
      return Error(where + "this public key is already listed on line " + std::to_string(it->second) + " (for '" +
                   book.principals_[key] + "'); a key belongs to one principal: remove one of the two lines");
    book.principals_.emplace(key, principal);
  }
  return book;
}

Try<PrincipalBook> PrincipalBook::load(const std::string& path) {
  Try<std::string> text = readWholeFile(path);
  if (text.isError())
    return Error("cannot read the allow-list " + path + ": " + text.error() +
                 " (give a file of 'PRINCIPAL PUBLIC-KEY' lines; see docs/security.md, \"Allow-list file\")");
  return parse(*text, path);
}

std::optional<std::string> PrincipalBook::principalOf(const std::string& z85PublicKey) const {
  auto it = principals_.find(z85PublicKey);
  if (it == principals_.end()) return std::nullopt;
  return it->second;
}

}  // namespace agora
