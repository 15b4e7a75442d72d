// agora_test_zmq_send [--uid N] ENDPOINT MESSAGE: connects a DEALER to ENDPOINT, as user N if
// given (the caller is root), sends MESSAGE once and lingers up to 2 s for it to leave. A
// process of its own, so that a test's child never runs library code between fork and exec.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <zmq.h>

int main(int argc, char** argv) {
  int arg = 1;
  if (argc >= 3 && std::strcmp(argv[1], "--uid") == 0) {
    auto id = static_cast<uid_t>(std::strtoul(argv[2], nullptr, 10));
    if (setgid(id) != 0 || setuid(id) != 0) {
      std::perror("agora_test_zmq_send: cannot become the given user");
      return 3;
    }
    arg = 3;
  }
  if (argc - arg != 2) {
    std::fprintf(stderr, "usage: agora_test_zmq_send [--uid N] ENDPOINT MESSAGE\n");
    return 2;
  }
  void* context = zmq_ctx_new();
  void* dealer = zmq_socket(context, ZMQ_DEALER);
  int linger = 2000;
  zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_connect(dealer, argv[arg]) != 0) {
    std::fprintf(stderr, "agora_test_zmq_send: cannot connect to %s: %s\n", argv[arg], zmq_strerror(zmq_errno()));
    return 4;
  }
  zmq_send(dealer, argv[arg + 1], std::strlen(argv[arg + 1]), 0);
  zmq_close(dealer);
  zmq_ctx_term(context);
  return 0;
}
