#pragma once
// Who this `agora` command is to a cluster that checks: a CURVE key for the master's ZeroMQ
// port and a bearer token for the HTTP APIs. From the flags, else $AGORA_CREDENTIALS, else the
// file `agora dev --secure` writes (~/.agora/credentials.json): commands on the machine of a
// secure dev cluster need no flags.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/curve.hpp"
#include "common/try.hpp"

namespace httplib { class Client; }

namespace agora::cli {

struct Credentials {
  std::optional<CurveClient> curve;
  std::string token;
  // Where the cluster that wrote the file is (empty: not from a file).
  std::string master, marathon, batch;
};

// Read once; an unreadable key named by a flag or the file is an error.
const Try<Credentials>& credentials();
// From now on, these (`agora dev --secure` for its own calls; tests).
void useCredentials(Credentials c);

// The file `agora dev --secure` writes and removes: $AGORA_CREDENTIALS, else
// ~/.agora/credentials.json.
std::string credentialsFile();

// Sends the bearer token, if there is one, with every request of `client`, and trusts
// --tls_ca for https:// addresses.
void authorize(httplib::Client& client);

// What to tell the user when `whoAtUrl` ("the agent at https://...") serves a certificate this
// machine does not trust: to give --tls_ca.
std::string untrustedCertificate(const std::string& whoAtUrl);

}  // namespace agora::cli
