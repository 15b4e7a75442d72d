#include "cli/dev_secure.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/curve.hpp"
#include "common/durable_file.hpp"
#include "common/tokens.hpp"

namespace agora::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Status writePrivate(const std::string& path, const std::string& text) {
  Status written = writeFileDurably(path, text);
  if (written.ok()) ::chmod(path.c_str(), 0600);
  return written;
}

json acls(const std::string& servicesRole, const std::string& batchRole) {
  json all = {"quota", "weights", "reservations", "drain", "teardown", "read_files", "register_agents"};
  return {{"principals",
           {{"agents", {{"actions", {"register_agents"}}}},
            {"marathon", {{"roles", {servicesRole}}, {"users", {"ANY"}}}},
            {"batch", {{"roles", {batchRole}}, {"users", {"ANY"}}}},
            {"operator", {{"roles", {"ANY"}}, {"users", {"ANY"}}, {"actions", all}}}}}};
}

}  // namespace

Try<SecureSetup> makeSecureSetup(const std::string& workDir, const std::string& servicesRole,
                                 const std::string& batchRole) {
  SecureSetup s;
  s.dir = workDir + "/secure";
  std::error_code ec;
  fs::create_directories(s.dir, ec);
  if (ec) return Error("cannot create " + s.dir + ": " + ec.message());
  ::chmod(s.dir.c_str(), 0700);
  std::string allowList;
  for (const char* who : {"master", "agents", "marathon", "batch", "operator"}) {
    std::string base = s.dir + "/" + who;
    fs::remove(base + ".key", ec);
    fs::remove(base + ".pub", ec);
    KeyPair keys = newKeyPair();
    if (Status written = writeKeyPair(keys, base); !written.ok()) return Error(written.error());
    if (std::string(who) != "master") allowList += std::string(who) + " " + keys.publicKey + "\n";
  }
  std::string operatorToken = newToken();
  s.readToken = newToken();
  for (auto [file, text] : {std::pair{"allow-list", allowList},
                            {"acls.json", acls(servicesRole, batchRole).dump(2) + "\n"},
                            {"tokens", operatorToken + ",operator,operator\n" + s.readToken + ",viewer,read\n"}})
    if (Status written = writePrivate(s.dir + "/" + file, text); !written.ok()) return Error(written.error());
  std::string tokens = "--tokens=" + s.dir + "/tokens", acl = "--acls=" + s.dir + "/acls.json";
  std::string masterKey = "--master_public_key=" + s.dir + "/master.pub";
  s.masterFlags = {"--curve_key=" + s.dir + "/master.key", "--allow_list=" + s.dir + "/allow-list", acl, tokens};
  s.agentFlags = {"--curve_key=" + s.dir + "/agents.key", masterKey, acl, tokens};
  s.marathonFlags = {"--curve_key=" + s.dir + "/marathon.key", masterKey, tokens};
  s.batchFlags = {"--curve_key=" + s.dir + "/batch.key", masterKey, tokens};
  Try<std::optional<CurveClient>> curve = loadCurveClient(s.dir + "/operator.key", s.dir + "/master.pub");
  if (curve.isError()) return Error(curve.error());
  s.operatorCredentials.curve = *curve;
  s.operatorCredentials.token = operatorToken;
  return s;
}

Status writeCredentialsFile(const SecureSetup& setup, const std::string& workDir, const std::string& master,
                            const std::string& marathon, const std::string& batch) {
  std::string path = credentialsFile();
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  json file = {{"work_dir", workDir},
               {"master", master},
               {"marathon", marathon},
               {"batch", batch},
               {"curve_key", setup.dir + "/operator.key"},
               {"master_public_key", setup.dir + "/master.pub"},
               {"token", setup.operatorCredentials.token}};
  return writePrivate(path, file.dump(2) + "\n");
}

void removeCredentialsFile(const std::string& workDir) {
  std::string path = credentialsFile();
  std::ifstream in(path);
  json file = json::parse(in, nullptr, false);
  if (file.is_object() && file.contains("work_dir") && file["work_dir"] == workDir) fs::remove(path);
}

}  // namespace agora::cli
