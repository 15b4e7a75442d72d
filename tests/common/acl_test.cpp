// Authorization: what each principal of the ACL file may do, and every way the file can be
// wrong, each with the JSON path and the message an operator reads.
#include "common/acl.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.hpp"

namespace agora {
namespace {

const char* const kExample = R"({"principals": {
  "team-a": {"roles": ["team-a", "team-a/*"], "users": ["nobody", "team-a"], "actions": ["read_files"]},
  "ops": {"roles": ["ANY"], "users": ["ANY"],
          "actions": ["quota", "weights", "reservations", "drain", "teardown", "read_files", "register_agents"]}}})";

Acl parsed(const std::string& text) {
  Try<Acl> acl = Acl::parse(text, "acls.json");
  EXPECT_TRUE(acl.ok()) << acl.error();
  return acl.ok() ? *acl : *Acl::parse("{}", "empty");
}

std::string errorOf(const std::string& text) {
  Try<Acl> acl = Acl::parse(text, "acls.json");
  EXPECT_TRUE(acl.isError()) << "parsed: " << text;
  return acl.isError() ? acl.error() : "";
}

// The error of a file whose principal "ops" is `entry`.
std::string errorOfOps(const std::string& entry) { return errorOf(R"({"principals": {"ops": )" + entry + "}}"); }

const std::string kAllActions = "quota, weights, reservations, drain, teardown, read_files, register_agents";

TEST(AclTest, TheExampleGrantsWhatItSays) {
  Acl acl = parsed(kExample);
  EXPECT_TRUE(acl.mayUseRole("team-a", "team-a"));
  EXPECT_TRUE(acl.mayUseRole("team-a", "team-a/web"));
  EXPECT_TRUE(acl.mayUseRole("team-a", "team-a/web/canary"));
  EXPECT_FALSE(acl.mayUseRole("team-a", "team-ab"));
  EXPECT_FALSE(acl.mayUseRole("team-a", "team-b"));
  EXPECT_FALSE(acl.mayUseRole("team-a", "*"));
  EXPECT_TRUE(acl.mayRunAs("team-a", "nobody"));
  EXPECT_TRUE(acl.mayRunAs("team-a", "team-a"));
  EXPECT_FALSE(acl.mayRunAs("team-a", "root"));
  EXPECT_TRUE(acl.may("team-a", Action::kReadFiles));
  EXPECT_FALSE(acl.may("team-a", Action::kQuota));
  EXPECT_FALSE(acl.may("team-a", Action::kRegisterAgents));

  EXPECT_TRUE(acl.mayUseRole("ops", "anything/at/all"));
  EXPECT_TRUE(acl.mayUseRole("ops", "*"));
  EXPECT_TRUE(acl.mayRunAs("ops", "root"));
  for (Action a : {Action::kQuota, Action::kWeights, Action::kReservations, Action::kDrain, Action::kTeardown,
                   Action::kReadFiles, Action::kRegisterAgents})
    EXPECT_TRUE(acl.may("ops", a)) << actionName(a);
}

TEST(AclTest, ARolePatternMatchesDescendantsAtAnyDepthButNotTheRoleItself) {
  Acl acl = parsed(R"({"principals": {"p": {"roles": ["a/*", "x/y/*"]}}})");
  EXPECT_FALSE(acl.mayUseRole("p", "a"));
  EXPECT_FALSE(acl.mayUseRole("p", "a/"));
  EXPECT_TRUE(acl.mayUseRole("p", "a/b"));
  EXPECT_TRUE(acl.mayUseRole("p", "a/b/c"));
  EXPECT_FALSE(acl.mayUseRole("p", "ab/c"));
  EXPECT_FALSE(acl.mayUseRole("p", "x/y"));
  EXPECT_TRUE(acl.mayUseRole("p", "x/y/z"));
  EXPECT_FALSE(acl.mayUseRole("p", "x/z"));
}

TEST(AclTest, AStarAloneIsTheDefaultRoleLiterally) {
  Acl acl = parsed(R"({"principals": {"p": {"roles": ["*"]}}})");
  EXPECT_TRUE(acl.mayUseRole("p", "*"));
  EXPECT_FALSE(acl.mayUseRole("p", "team-a"));
  EXPECT_FALSE(acl.mayUseRole("p", "ANY"));
}

TEST(AclTest, AnyIsAKeywordForRolesAndUsersOnly) {
  Acl acl = parsed(R"({"principals": {"p": {"users": ["ANY"]}, "q": {"users": ["alice"]}}})");
  EXPECT_TRUE(acl.mayRunAs("p", "root"));
  EXPECT_FALSE(acl.mayRunAs("q", "ANY_OTHER"));
  EXPECT_FALSE(acl.mayUseRole("p", "anything"));
  EXPECT_EQ(errorOfOps(R"({"actions": ["ANY"]})"),
            "acls.json: principals.ops.actions[0]: unknown action \"ANY\" (one of: " + kAllActions + ")");
}

TEST(AclTest, AMissingFieldAllowsNothingAndAnUnknownPrincipalMayNothing) {
  Acl acl = parsed(R"({"principals": {"idle": {}, "reader": {"actions": ["read_files"]}}})");
  EXPECT_TRUE(acl.knows("idle"));
  EXPECT_FALSE(acl.mayUseRole("idle", "*"));
  EXPECT_FALSE(acl.mayRunAs("idle", "nobody"));
  EXPECT_FALSE(acl.may("idle", Action::kReadFiles));
  EXPECT_FALSE(acl.mayUseRole("reader", "*"));
  EXPECT_TRUE(acl.may("reader", Action::kReadFiles));
  EXPECT_FALSE(acl.knows("stranger"));
  EXPECT_FALSE(acl.mayUseRole("stranger", "*"));
  EXPECT_FALSE(acl.mayRunAs("stranger", "nobody"));
  EXPECT_FALSE(acl.may("stranger", Action::kReadFiles));
  EXPECT_FALSE(acl.knows(""));

  Acl empty = parsed("{}");
  EXPECT_FALSE(empty.knows("ops"));
  EXPECT_FALSE(parsed(R"({"principals": {}})").knows("x"));
}

TEST(AclTest, ActionsHaveTheNamesOfTheFile) {
  EXPECT_STREQ(actionName(Action::kQuota), "quota");
  EXPECT_STREQ(actionName(Action::kWeights), "weights");
  EXPECT_STREQ(actionName(Action::kReservations), "reservations");
  EXPECT_STREQ(actionName(Action::kDrain), "drain");
  EXPECT_STREQ(actionName(Action::kTeardown), "teardown");
  EXPECT_STREQ(actionName(Action::kReadFiles), "read_files");
  EXPECT_STREQ(actionName(Action::kRegisterAgents), "register_agents");
}

TEST(AclTest, TextThatIsNotJsonIsRefusedWithWhereItWentWrong) {
  // The rest of the message is nlohmann's own.
  std::string error = errorOf("{\"principals\":\n  }");
  EXPECT_EQ(error.rfind("acls.json: not valid JSON: parse error at line 2, column ", 0), 0u) << error;
  EXPECT_NE(error.find("unexpected '}'"), std::string::npos) << error;
  EXPECT_EQ(error.find("[json.exception"), std::string::npos) << error;
  error = errorOf("");
  EXPECT_EQ(error.rfind("acls.json: not valid JSON: parse error at line 1, column 1: ", 0), 0u) << error;
}

TEST(AclTest, TheTopLevelMustBeAnObjectWithOnlyPrincipals) {
  const std::string shape = R"({"principals": {"NAME": {"roles": [...], "users": [...], "actions": [...]}}})";
  EXPECT_EQ(errorOf("[]"), "acls.json: the top level is an array; write an object: " + shape);
  EXPECT_EQ(errorOf(R"({"principal": {}})"),
            "acls.json: principal: unknown key; the top level has only \"principals\": " + shape);
  EXPECT_EQ(errorOf(R"({"principals": []})"),
            R"(acls.json: principals: is an array; write an object of principals: {"NAME": {"roles": [...], )"
            R"("users": [...], "actions": [...]}})");
  EXPECT_EQ(errorOf(R"({"principals": null})"),
            R"(acls.json: principals: is null; write an object of principals: {"NAME": {"roles": [...], )"
            R"("users": [...], "actions": [...]}})");
}

TEST(AclTest, APrincipalMustHaveAValidNameAndBeAnObjectOfKnownFields) {
  EXPECT_EQ(errorOf(R"({"principals": {"team a": {}}})"),
            "acls.json: principals.team a: \"team a\" is not a valid principal name; write 1 to 64 characters of "
            "A-Z a-z 0-9 . _ -");
  EXPECT_EQ(errorOf(R"({"principals": {"": {}}})"),
            "acls.json: principals.: \"\" is not a valid principal name; write 1 to 64 characters of A-Z a-z 0-9 . _ -");
  EXPECT_EQ(errorOfOps(R"("everything")"),
            R"(acls.json: principals.ops: is a string; write an object with any of "roles", "users" and "actions")");
  EXPECT_EQ(errorOfOps(R"({"role": ["a"]})"),
            R"(acls.json: principals.ops.role: unknown key; a principal has only "roles", "users" and "actions")");
}

TEST(AclTest, EachFieldMustBeAnArrayOfStrings) {
  EXPECT_EQ(errorOfOps(R"({"roles": "team-a"})"),
            R"(acls.json: principals.ops.roles: is a string; write an array of strings: ["..."])");
  EXPECT_EQ(errorOfOps(R"({"users": null})"),
            R"(acls.json: principals.ops.users: is null; write an array of strings: ["..."])");
  EXPECT_EQ(errorOfOps(R"({"actions": {"quota": true}})"),
            R"(acls.json: principals.ops.actions: is an object; write an array of strings: ["..."])");
  EXPECT_EQ(errorOfOps(R"({"users": ["nobody", 0]})"), "acls.json: principals.ops.users[1]: is a number; write a string");
  EXPECT_EQ(errorOfOps(R"({"roles": [true]})"), "acls.json: principals.ops.roles[0]: is a boolean; write a string");
  EXPECT_EQ(errorOfOps(R"({"actions": [["quota"]]})"), "acls.json: principals.ops.actions[0]: is an array; write a string");
}

TEST(AclTest, AnUnknownActionIsRefusedWithTheKnownOnes) {
  EXPECT_EQ(errorOf(R"({"principals": {"team-a": {"actions": ["read_files", "qouta"]}}})"),
            "acls.json: principals.team-a.actions[1]: unknown action \"qouta\" (one of: " + kAllActions + ")");
  EXPECT_EQ(errorOfOps(R"({"actions": [""]})"),
            "acls.json: principals.ops.actions[0]: unknown action \"\" (one of: " + kAllActions + ")");
}

TEST(AclTest, EmptyAndBlankNamesAreRefused) {
  EXPECT_EQ(errorOfOps(R"({"roles": [""]})"),
            R"(acls.json: principals.ops.roles[0]: is empty; write a role, "ROLE/*" for its descendants, or "ANY" )"
            R"(for every role)");
  EXPECT_EQ(errorOfOps(R"({"users": ["nobody", ""]})"),
            R"(acls.json: principals.ops.users[1]: is empty; write an OS user name, or "ANY" for every user)");
  EXPECT_EQ(errorOfOps(R"({"roles": ["team a"]})"),
            R"(acls.json: principals.ops.roles[0]: "team a" has a blank or control character; write a role, )"
            R"("ROLE/*" for its descendants, or "ANY" for every role)");
  EXPECT_EQ(errorOfOps(R"({"users": ["nobody\n"]})"),
            R"(acls.json: principals.ops.users[0]: "nobody\n" has a blank or control character; write an OS user )"
            R"(name, or "ANY" for every user)");
}

TEST(AclTest, AStarThatWouldReadAsAWildcardIsRefused) {
  for (std::string pattern : {"team-*", "/*", "*/*", "a/*/b", "a/**"}) {
    EXPECT_EQ(errorOfOps(R"({"roles": [")" + pattern + R"("]})"),
              "acls.json: principals.ops.roles[0]: \"" + pattern +
                  R"(" is not a role pattern: '*' means the default role only as "*" itself; write "ROLE/*" for )"
                  R"(ROLE's descendants, or "ANY" for every role)");
  }
}

TEST(AclTest, AKeyGivenTwiceIsRefusedRatherThanTheLastOneWinning) {
  EXPECT_EQ(errorOf(R"({"principals": {"ops": {"roles": ["a"]}, "ops": {"users": ["b"]}}})"),
            "acls.json: principals.ops: given twice in one object; write it once, with everything it grants");
  EXPECT_EQ(errorOfOps(R"({"roles": ["a"], "roles": ["b"]})"),
            "acls.json: principals.ops.roles: given twice in one object; write it once, with everything it grants");
  // The path counts array elements, containers included.
  EXPECT_EQ(errorOfOps(R"({"roles": ["a", {"x": 1}, {"y": 1, "y": 2}]})"),
            "acls.json: principals.ops.roles[2].y: given twice in one object; write it once, with everything it grants");
}

TEST(AclTest, LoadReadsTheFileAndNamesItInErrors) {
  testing::TempDir dir;
  std::string path = dir.path() + "/acls.json";
  std::ofstream(path) << kExample;
  Try<Acl> acl = Acl::load(path);
  ASSERT_TRUE(acl.ok()) << acl.error();
  EXPECT_TRUE(acl->may("ops", Action::kDrain));
  std::ofstream(path) << R"({"principals": {"ops": {"actions": ["dran"]}}})";
  Try<Acl> typo = Acl::load(path);
  ASSERT_TRUE(typo.isError());
  EXPECT_EQ(typo.error(), path + ": principals.ops.actions[0]: unknown action \"dran\" (one of: " + kAllActions + ")");
  Try<Acl> missing = Acl::load(dir.path() + "/missing.json");
  ASSERT_TRUE(missing.isError());
  EXPECT_EQ(missing.error(), "cannot read the ACL file " + dir.path() +
                                 "/missing.json: No such file or directory (see docs/security.md, \"ACL file\")");
}

}  // namespace
}  // namespace agora
