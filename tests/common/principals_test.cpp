// The CURVE allow-list: which public key is which principal, and every way the file can be
// wrong, each with the message an operator reads.
#include "common/principals.hpp"

#include <gtest/gtest.h>
#include <zmq.h>

#include <fstream>

#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

// A fresh CURVE public key, as `agora keygen` makes them.
std::string newPublicKey() {
  char pub[41], secret[41];
  EXPECT_EQ(zmq_curve_keypair(pub, secret), 0) << "libzmq has no CURVE support";
  return pub;
}

// A valid key with '#' inside it (Z85 has '#'); it cannot start with one.
const std::string kKeyWithHash = "M#jNF=4-%SuB<aUQ+[?alHYgG1Q2}i.[/:#?s1=+";

std::string errorOf(const std::string& text) {
  Try<PrincipalBook> book = PrincipalBook::parse(text, "allow.list");
  EXPECT_TRUE(book.isError()) << "parsed: " << text;
  return book.isError() ? book.error() : "";
}

TEST(PrincipalBookTest, MapsEachListedKeyToItsPrincipal) {
  std::string agent = newPublicKey(), alice = newPublicKey(), laptop = newPublicKey(), stranger = newPublicKey();
  Try<PrincipalBook> book = PrincipalBook::parse("# PRINCIPAL KEY\n"
                                                 "\n"
                                                 "agent-pool " + agent + "\n"
                                                 "   \t\n"
                                                 "\tteam-a\t" + alice + "   # desktop\r\n"
                                                 "team-a " + laptop + " #laptop\n"
                                                 "  # an indented comment\n",
                                                 "allow.list");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_EQ(book->size(), 3u);
  EXPECT_EQ(book->principalOf(agent), "agent-pool");
  EXPECT_EQ(book->principalOf(alice), "team-a");
  EXPECT_EQ(book->principalOf(laptop), "team-a");
  EXPECT_EQ(book->principalOf(stranger), std::nullopt);
}

TEST(PrincipalBookTest, AKeyMayHoldAHashWhichIsAZ85Character) {
  Try<PrincipalBook> book = PrincipalBook::parse("ops " + kKeyWithHash + " # the key has '#' too\n", "allow.list");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_EQ(book->principalOf(kKeyWithHash), "ops");
}

TEST(PrincipalBookTest, AnEmptyTextIsAnEmptyBookThatAdmitsNobody) {
  Try<PrincipalBook> book = PrincipalBook::parse("# nobody yet\n", "allow.list");
  ASSERT_TRUE(book.ok()) << book.error();
  EXPECT_EQ(book->size(), 0u);
  EXPECT_EQ(book->principalOf(newPublicKey()), std::nullopt);
}

TEST(PrincipalBookTest, ALineWithOneWordOrThreeIsRefused) {
  std::string key = newPublicKey();
  EXPECT_EQ(errorOf("# ok\n" + key + "\n"),
            "allow.list:2: expected 'PRINCIPAL PUBLIC-KEY', found 1 word: write the principal's name, a blank, then "
            "its 40-character Z85 public key (copy it from the .pub file made by `agora keygen`); one key per line, "
            "comments after '#'");
  EXPECT_EQ(errorOf("ops " + key + " " + newPublicKey() + "\n"),
            "allow.list:1: expected 'PRINCIPAL PUBLIC-KEY', found 3 words: write the principal's name, a blank, then "
            "its 40-character Z85 public key (copy it from the .pub file made by `agora keygen`); one key per line, "
            "comments after '#'");
}

TEST(PrincipalBookTest, AnInvalidPrincipalNameIsRefused) {
  std::string key = newPublicKey();
  const std::string expected =
      "allow.list:1: the principal's name (the first word) is not valid: write 1 to 64 characters of A-Z a-z 0-9 . _ -";
  EXPECT_EQ(errorOf("team@a " + key), expected);
  EXPECT_EQ(errorOf(std::string(65, 'a') + " " + key), expected);
  EXPECT_EQ(errorOf("caf\xc3\xa9 " + key), expected);
}

TEST(PrincipalBookTest, AKeyOfTheWrongLengthIsRefused) {
  std::string key = newPublicKey();
  EXPECT_EQ(errorOf("ops " + key.substr(0, 39)),
            "allow.list:1: the public key of 'ops' is 39 characters long; a CURVE public key is 40 characters of Z85; "
            "copy it from the .pub file made by `agora keygen`");
  EXPECT_EQ(errorOf("ops " + key + "x"),
            "allow.list:1: the public key of 'ops' is 41 characters long; a CURVE public key is 40 characters of Z85; "
            "copy it from the .pub file made by `agora keygen`");
}

TEST(PrincipalBookTest, AKeyWithACharacterOutsideZ85IsRefused) {
  std::string key = newPublicKey();
  key[9] = '~';
  EXPECT_EQ(errorOf("ops " + key),
            "allow.list:1: the public key of 'ops' has a character that is not Z85 at position 10; copy it from the "
            ".pub file made by `agora keygen`");
}

TEST(PrincipalBookTest, AKeyThatDoesNotDecodeTo32BytesIsRefused) {
  // Each group of five Z85 characters is a 32-bit number; "#####" is 85^5 - 1, too large.
  EXPECT_EQ(errorOf("ops " + std::string(40, '#')),
            "allow.list:1: the public key of 'ops' is not a valid Z85 key (it does not decode to 32 bytes); copy it "
            "from the .pub file made by `agora keygen`");
}

TEST(PrincipalBookTest, TheSameKeyTwiceIsRefusedEvenForTheSamePrincipal) {
  std::string key = newPublicKey();
  EXPECT_EQ(errorOf("ops " + key + "\nteam-a " + newPublicKey() + "\nteam-a " + key + "\n"),
            "allow.list:3: this public key is already listed on line 1 (for 'ops'); a key belongs to one principal: "
            "remove one of the two lines");
  EXPECT_EQ(errorOf("ops " + key + "\nops " + key + "\n"),
            "allow.list:2: this public key is already listed on line 1 (for 'ops'); a key belongs to one principal: "
            "remove one of the two lines");
}

TEST(PrincipalBookTest, ErrorsNeverQuoteAKey) {
  // What looks like a key may be a secret key pasted by mistake.
  std::string key = newPublicKey();
  for (const std::string& text : {key, "bad@name " + key, "ops " + key + "\nops " + key, "ops " + key + "zz"}) {
    std::string error = errorOf(text);
    EXPECT_EQ(error.find(key.substr(0, 20)), std::string::npos) << error;
  }
}

TEST(PrincipalBookTest, LoadNamesTheFileInErrors) {
  testing::TempDir dir;
  std::string path = dir.path() + "/allow.list";
  std::ofstream(path) << "ops " << newPublicKey() << "\nops short\n";
  Try<PrincipalBook> book = PrincipalBook::load(path);
  ASSERT_TRUE(book.isError());
  EXPECT_EQ(book.error(), path + ":2: the public key of 'ops' is 5 characters long; a CURVE public key is 40 "
                                 "characters of Z85; copy it from the .pub file made by `agora keygen`");
  std::string key = newPublicKey();
  std::ofstream(path) << "ops " << key << "\n";
  Try<PrincipalBook> good = PrincipalBook::load(path);
  ASSERT_TRUE(good.ok()) << good.error();
  EXPECT_EQ(good->principalOf(key), "ops");
}

TEST(PrincipalBookTest, AFileThatCannotBeReadIsAnErrorNotAnEmptyBook) {
  testing::TempDir dir;
  Try<PrincipalBook> missing = PrincipalBook::load(dir.path() + "/missing");
  ASSERT_TRUE(missing.isError());
  EXPECT_EQ(missing.error(), "cannot read the allow-list " + dir.path() +
                                 "/missing: No such file or directory (give a file of 'PRINCIPAL PUBLIC-KEY' lines; "
                                 "see docs/security.md, \"Allow-list file\")");
  Try<PrincipalBook> directory = PrincipalBook::load(dir.path());
  ASSERT_TRUE(directory.isError());
  EXPECT_EQ(directory.error(), "cannot read the allow-list " + dir.path() +
                                   ": Is a directory (give a file of 'PRINCIPAL PUBLIC-KEY' lines; see "
                                   "docs/security.md, \"Allow-list file\")");
}

TEST(PrincipalNameTest, IsOneTo64OfLettersDigitsDotUnderscoreDash) {
  EXPECT_TRUE(validPrincipalName("a"));
  EXPECT_TRUE(validPrincipalName("team-a.ops_2"));
  EXPECT_TRUE(validPrincipalName(std::string(64, 'x')));
  EXPECT_FALSE(validPrincipalName(""));
  EXPECT_FALSE(validPrincipalName(std::string(65, 'x')));
  EXPECT_FALSE(validPrincipalName("team a"));
  EXPECT_FALSE(validPrincipalName("team/a"));
  EXPECT_FALSE(validPrincipalName("team:a"));
  EXPECT_FALSE(validPrincipalName("caf\xc3\xa9"));
}

}  // namespace
}  // namespace agora
