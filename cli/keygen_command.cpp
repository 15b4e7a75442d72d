// agora keygen NAME: a CURVE key pair for an agent, a framework, an operator or the master.
#include <iostream>

#include "cli/commands.hpp"
#include "common/curve.hpp"

namespace agora::cli {

int keygenCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: agora keygen NAME   (writes NAME.key, secret, and NAME.pub)\n";
    return 2;
  }
  KeyPair keys = newKeyPair();
  if (Status written = writeKeyPair(keys, args[0]); !written.ok()) {
    std::cerr << "agora keygen: " << written.error() << "\n";
    return 1;
  }
  std::cout << "Wrote " << args[0] << ".key (secret: give it only to the process it names) and " << args[0]
            << ".pub.\nFor the master's --allow_list, a line with the principal and this public key:\n  "
            << "PRINCIPAL " << keys.publicKey << "\n";
  return 0;
}

}  // namespace agora::cli
