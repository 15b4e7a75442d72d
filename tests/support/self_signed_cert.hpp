#pragma once
// A certificate for 127.0.0.1 made as an operator would make one (openssl), for HTTPS tests.

#include <cstdlib>
#include <string>

namespace agora::testing {

// Writes DIR/cert.pem and DIR/key.pem, valid a day; false if openssl failed.
inline bool makeSelfSignedCert(const std::string& dir) {
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
                    "subjectAltName=IP:127.0.0.1 -keyout " + dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace agora::testing
