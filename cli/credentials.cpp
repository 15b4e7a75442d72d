#include "cli/credentials.hpp"

#include <cstdlib>
#include <fstream>

#include <gflags/gflags.h>
#include <httplib.h>

DEFINE_string(curve_key, "", "Your CURVE key pair (from `agora keygen`) for a master that admits only CURVE peers "
                             "(default: the one of `agora dev --secure`).");
DEFINE_string(master_public_key, "", "The master's CURVE public key: its Z85 text or its .pub file.");
DEFINE_string(tls_ca, "", "For https:// addresses: the certificate (PEM) to trust beside the system's, e.g. a "
                          "self-signed one.");
DEFINE_string(token, "", "A bearer token for the HTTP APIs (default: $AGORA_TOKEN, else the one of `agora dev --secure`).");

namespace agora::cli {

std::string credentialsFile() {
  if (const char* env = std::getenv("AGORA_CREDENTIALS"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.agora/credentials.json";
}

namespace {

Try<Credentials> load() {
  Credentials c;
  nlohmann::json file = nlohmann::json::object();
  if (std::ifstream in(credentialsFile()); in) {
    file = nlohmann::json::parse(in, nullptr, false);
    if (!file.is_object()) return Error(credentialsFile() + " is not a JSON object: remove it, or start `agora dev --secure` again");
  }
  auto text = [&](const char* key) { return file.contains(key) && file[key].is_string() ? file[key].get<std::string>() : ""; };
  c.master = text("master"), c.marathon = text("marathon"), c.batch = text("batch");
  std::string key = FLAGS_curve_key.empty() ? text("curve_key") : FLAGS_curve_key;
  std::string masterKey = FLAGS_master_public_key.empty() ? text("master_public_key") : FLAGS_master_public_key;
  Try<std::optional<CurveClient>> curve = loadCurveClient(key, masterKey);
  if (curve.isError() && (FLAGS_curve_key.empty() || FLAGS_master_public_key.empty()) && file.contains("curve_key"))
    return Error(curve.error() + " (named in " + credentialsFile() +
                 ", which `agora dev --secure` wrote: if that cluster is gone, remove the file)");
  if (curve.isError()) return Error(curve.error());
  c.curve = *curve;
  const char* envToken = std::getenv("AGORA_TOKEN");
  c.token = !FLAGS_token.empty() ? FLAGS_token : envToken && *envToken ? envToken : text("token");
  return c;
}

Try<Credentials>& current() {
  static Try<Credentials> loaded = load();
  return loaded;
}

}  // namespace

const Try<Credentials>& credentials() { return current(); }

void useCredentials(Credentials c) { current() = std::move(c); }

void authorize(httplib::Client& client) {
  const Try<Credentials>& c = credentials();
  if (!c.isError() && !c->token.empty()) client.set_bearer_token_auth(c->token);
  if (!FLAGS_tls_ca.empty()) client.set_ca_cert_path(FLAGS_tls_ca.c_str());
}

std::string untrustedCertificate(const std::string& whoAtUrl) {
  return whoAtUrl + " has a certificate this machine does not trust: give --tls_ca=CERT.pem "
                    "(the certificate it serves, or the authority that signed it)";
}

}  // namespace agora::cli
