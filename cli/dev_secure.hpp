#pragma once
// agora dev --secure: keys, an allow-list, an ACL and tokens made in the cluster's work dir,
// the flags that wire each process with them, and the credentials file through which `agora`
// commands on this machine use them without flags.

#include <string>
#include <vector>

#include "cli/credentials.hpp"
#include "common/try.hpp"

namespace agora::cli {

struct SecureSetup {
  std::string dir;  // WORK_DIR/secure, readable by its owner only
  std::vector<std::string> masterFlags, agentFlags, marathonFlags, batchFlags;
  Credentials operatorCredentials;  // the CLI's: principal "operator", may everything
  std::string readToken;            // principal "viewer": reads only
};

// Makes every key and file under `workDir`/secure; the frameworks may use only their roles.
Try<SecureSetup> makeSecureSetup(const std::string& workDir, const std::string& servicesRole,
                                 const std::string& batchRole);

// credentialsFile(), naming this cluster (its work dir) and where it is; mode 0600.
Status writeCredentialsFile(const SecureSetup& setup, const std::string& workDir, const std::string& master,
                            const std::string& marathon, const std::string& batch);
// Removes credentialsFile() if it is this cluster's (another `agora dev --secure` may have
// written it since).
void removeCredentialsFile(const std::string& workDir);

}  // namespace agora::cli
