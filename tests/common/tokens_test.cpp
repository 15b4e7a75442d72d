// HTTP bearer tokens: the token file, what each token grants, and every way the file can be
// wrong, each with the message an operator reads and never with a token's text.
#include "common/tokens.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <set>

#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

const std::string kOpsToken = "0123456789abcdef0123456789abcdef";
const std::string kReadToken = "AbC.de_f~g+h/i=j-K";  // every punctuation a token may hold

std::string errorOf(const std::string& text) {
  Try<TokenBook> book = TokenBook::parse(text, "tokens.csv");
  EXPECT_TRUE(book.isError()) << "parsed: " << text;
  return book.isError() ? book.error() : "";
}

TEST(TokenBookTest, FindsThePrincipalAndScopeOfEachToken) {
  Try<TokenBook> book = TokenBook::parse("# TOKEN,PRINCIPAL,SCOPE\n"
                                         "\n" +
                                             kOpsToken + ",ops,operator\n" +
                                             "  " + kReadToken + " , dashboard ,\tread  # the wall screen\r\n" +
                                             "   # indented comment\n",
                                         "tokens.csv");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_EQ(book->size(), 2u);
  std::optional<TokenGrant> ops = book->find(kOpsToken);
  ASSERT_TRUE(ops);
  EXPECT_EQ(ops->principal, "ops");
  EXPECT_EQ(ops->scope, Scope::kOperator);
  std::optional<TokenGrant> reader = book->find(kReadToken);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->principal, "dashboard");
  EXPECT_EQ(reader->scope, Scope::kRead);
}

TEST(TokenBookTest, OnlyTheWholeTokenMatches) {
  Try<TokenBook> book = TokenBook::parse(kOpsToken + ",ops,operator\n", "tokens.csv");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_FALSE(book->find(""));
  EXPECT_FALSE(book->find(kOpsToken.substr(0, 31)));
  EXPECT_FALSE(book->find(kOpsToken + "0"));
  std::string lastDiffers = kOpsToken;
  lastDiffers.back() = 'e';
  EXPECT_FALSE(book->find(lastDiffers));
  EXPECT_FALSE(book->find("0123456789ABCDEF0123456789ABCDEF"));
  EXPECT_TRUE(book->find(kOpsToken));
}

TEST(TokenBookTest, OnePrincipalMayHaveSeveralTokens) {
  std::string other = "ffffffffffffffffffff";
  Try<TokenBook> book = TokenBook::parse(kOpsToken + ",ops,operator\n" + other + ",ops,read\n", "tokens.csv");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_EQ(book->find(kOpsToken)->scope, Scope::kOperator);
  EXPECT_EQ(book->find(other)->scope, Scope::kRead);
  EXPECT_EQ(book->find(other)->principal, "ops");
}

TEST(TokenBookTest, AnEmptyTextIsAnEmptyBook) {
  Try<TokenBook> book = TokenBook::parse("# no tokens yet\n", "tokens.csv");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_EQ(book->size(), 0u);
  EXPECT_FALSE(book->find(kOpsToken));
}

TEST(TokenBookTest, ALineWithoutThreeFieldsIsRefused) {
  EXPECT_EQ(errorOf("# header\n" + kOpsToken + "\n"),
            "tokens.csv:2: expected TOKEN,PRINCIPAL,SCOPE, found 1 field; write three fields separated by commas, "
            "e.g. TOKEN,ops,operator");
  // Kubernetes' files have a uid and groups after the user.
  EXPECT_EQ(errorOf(kOpsToken + ",ops,1000,operator\n"),
            "tokens.csv:1: expected TOKEN,PRINCIPAL,SCOPE, found 4 fields; write three fields separated by commas, "
            "e.g. TOKEN,ops,operator");
}

TEST(TokenBookTest, AShortTokenIsRefused) {
  EXPECT_EQ(errorOf("0123456789abcde,ops,operator\n"),
            "tokens.csv:1: token too short: a token has at least 16 characters; make one with `openssl rand -hex 32`");
  EXPECT_EQ(errorOf(",ops,operator\n"),
            "tokens.csv:1: token too short: a token has at least 16 characters; make one with `openssl rand -hex 32`");
}

TEST(TokenBookTest, ATokenWithACharacterOutsideTheAlphabetIsRefused) {
  EXPECT_EQ(errorOf("0123456789\"abcdef,ops,operator\n"),
            "tokens.csv:1: the token has a character that is not allowed at position 11; a token is made of A-Z a-z "
            "0-9 . _ ~ + / = - (make one with `openssl rand -hex 32`)");
  EXPECT_EQ(errorOf("0123456789 abcdef,ops,operator\n"),
            "tokens.csv:1: the token has a character that is not allowed at position 11; a token is made of A-Z a-z "
            "0-9 . _ ~ + / = - (make one with `openssl rand -hex 32`)");
}

TEST(TokenBookTest, AnInvalidPrincipalIsRefusedAndQuotedOnlyIfItCannotBeAToken) {
  EXPECT_EQ(errorOf(kOpsToken + ",team a,operator\n"),
            "tokens.csv:1: the principal 'team a' (field 2) is not a valid name; write 1 to 64 characters of A-Z a-z "
            "0-9 . _ -");
  EXPECT_EQ(errorOf(kOpsToken + ",,operator\n"),
            "tokens.csv:1: the principal '' (field 2) is not a valid name; write 1 to 64 characters of A-Z a-z 0-9 . _ -");
  // Two tokens on one line: the second, in the principal's column, must not reach the log.
  EXPECT_EQ(errorOf(kOpsToken + "," + kReadToken + ",operator\n"),
            "tokens.csv:1: the principal (field 2) is not a valid name; write 1 to 64 characters of A-Z a-z 0-9 . _ -");
}

TEST(TokenBookTest, AScopeOtherThanReadOrOperatorIsRefused) {
  EXPECT_EQ(errorOf(kOpsToken + ",ops,admin\n"),
            "tokens.csv:1: the scope 'admin' (field 3) is neither 'read' nor 'operator'; write one of the two");
  EXPECT_EQ(errorOf(kOpsToken + ",ops,Read\n"),
            "tokens.csv:1: the scope 'Read' (field 3) is neither 'read' nor 'operator'; write one of the two");
  EXPECT_EQ(errorOf(kOpsToken + ",ops," + kReadToken + "\n"),
            "tokens.csv:1: the scope (field 3) is neither 'read' nor 'operator'; write one of the two");
}

TEST(TokenBookTest, TheSameTokenTwiceIsRefused) {
  EXPECT_EQ(errorOf(kOpsToken + ",ops,operator\n" + kReadToken + ",web,read\n" + kOpsToken + ",team-a,read\n"),
            "tokens.csv:3: the same token as line 1; give every principal and scope a token of its own (make one "
            "with `openssl rand -hex 32`)");
}

TEST(TokenBookTest, ErrorsNeverQuoteAToken) {
  for (const std::string& text :
       {kOpsToken, kOpsToken + ",ops,operator\n" + kOpsToken + ",ops,operator", kOpsToken + ",a b,read",
        kOpsToken + ",ops,nope", kOpsToken + "!,ops,read", kOpsToken + "," + kReadToken + ",read"}) {
    std::string error = errorOf(text);
    EXPECT_EQ(error.find(kOpsToken.substr(0, 10)), std::string::npos) << error;
    EXPECT_EQ(error.find(kReadToken.substr(0, 10)), std::string::npos) << error;
  }
}

TEST(TokenBookTest, LoadNamesTheFileInErrors) {
  testing::TempDir dir;
  std::string path = dir.path() + "/tokens.csv";
  std::ofstream(path) << kOpsToken << ",ops,operator\n";
  ::chmod(path.c_str(), 0600);
  Try<TokenBook> book = TokenBook::load(path);
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_EQ(book->find(kOpsToken)->principal, "ops");
  std::ofstream(path) << kOpsToken << ",ops,operator\nshort,ops,read\n";
  Try<TokenBook> bad = TokenBook::load(path);
  ASSERT_TRUE(bad.isError());
  EXPECT_EQ(bad.error(), path + ":2: token too short: a token has at least 16 characters; make one with `openssl "
                                "rand -hex 32`");
  Try<TokenBook> missing = TokenBook::load(dir.path() + "/missing.csv");
  ASSERT_TRUE(missing.isError());
  EXPECT_EQ(missing.error(), "cannot read the token file " + dir.path() +
                                 "/missing.csv: No such file or directory (give a file of TOKEN,PRINCIPAL,SCOPE lines; "
                                 "see docs/security.md, \"Token file\")");
  Try<TokenBook> directory = TokenBook::load(dir.path());
  ASSERT_TRUE(directory.isError());
  EXPECT_EQ(directory.error(), "cannot read the token file " + dir.path() +
                                   ": Is a directory (give a file of TOKEN,PRINCIPAL,SCOPE lines; see "
                                   "docs/security.md, \"Token file\")");
}

TEST(TokenBookTest, ScopesHaveTheNamesOfTheFile) {
  EXPECT_STREQ(scopeName(Scope::kRead), "read");
  EXPECT_STREQ(scopeName(Scope::kOperator), "operator");
}

TEST(NewTokenTest, IsSixtyFourHexDigitsThatTheBookAcceptsAndNeverRepeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string token = newToken();
    EXPECT_EQ(token.size(), 64u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    EXPECT_TRUE(seen.insert(token).second) << "a token came twice";
  }
  std::string token = newToken();
  Try<TokenBook> book = TokenBook::parse(token + ",ops,operator\n", "tokens.csv");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_TRUE(book->find(token));
}

}  // namespace
}  // namespace agora
