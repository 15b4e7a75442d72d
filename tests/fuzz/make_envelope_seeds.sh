#!/usr/bin/env bash
# Writes the seed corpus of fuzz_envelope (tests/fuzz/corpus/envelope/*.bin): real Envelopes, one
# of each common kind, encoded from Cap'n Proto's text form by the capnp tool (Debian's
# capnproto) against proto/agora.capnp, framed as the peers send them (a segment table, then
# the words). Run it again after a change to the schema that these messages should show.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/fuzz/corpus/envelope
mkdir -p "$out"

seed() {  # NAME TEXT
  printf '%s\n' "$2" | capnp encode proto/agora.capnp Envelope >"$out/$1.bin"
}

seed pong '(version = 1, pong = (sequence = 7))'
seed register_agent '(version = 1, registerAgent = (
  agent = (hostname = "node-1", httpPort = 5051, isolation = "cgroups-v1", httpHost = "10.0.0.1",
           resources = [(name = "cpus", role = "*", scalar = 4000), (name = "mem", role = "*", scalar = 8192000),
                        (name = "ports", role = "*", ranges = [(begin = 31000, end = 32000)]),
                        (name = "zones", role = "eng", set = ["a", "b"])],
           attributes = [(name = "rack", value = "r1")]),
  tasks = [(frameworkId = "fw-1", state = running,
            task = (taskId = "t-1", name = "web", agentId = "a-1", command = (value = "sleep 100"),
                    resources = [(name = "cpus", role = "*", scalar = 500)]))]))'
seed subscribe '(version = 1, subscribe = (framework = (name = "hello", principal = "alice", roles = ["eng", "*"],
  failoverTimeoutSeconds = 604800, capabilities = ["MULTI_ROLE"], hostname = "h", webuiUrl = "http://h:8080/")))'
seed offers '(version = 1, offers = (offers = [(id = "o-1", frameworkId = "fw-1", agentId = "a-1", hostname = "node-1", role = "*",
  resources = [(name = "cpus", role = "*", scalar = 2500), (name = "ports", role = "*", ranges = [(begin = 31000, end = 31005), (begin = 31010, end = 31010)])],
  attributes = [(name = "zone", value = "a")])]))'
seed accept '(version = 1, accept = (frameworkId = "fw-1", offerIds = ["o-1"], filters = (refuseSeconds = 5),
  operations = [(reserve = [(name = "cpus", role = "eng", scalar = 1000)]),
                (launch = [(taskId = "t-2", name = "api", agentId = "a-1",
                            command = (value = "./api", shell = false, arguments = ["./api", "--port", "31000"],
                                       environment = [(name = "MODE", value = "prod")]),
                            resources = [(name = "cpus", role = "eng", scalar = 1000), (name = "ports", role = "*", ranges = [(begin = 31000, end = 31000)])],
                            labels = [(key = "team", value = "web")], ports = [(number = 31000, name = "http")],
                            healthCheck = (kind = http, path = "/health", port = (index = 0)),
                            readinessCheck = (path = "/ready", port = (name = "http"), readyStatusCodes = [200, 204]))])]))'
seed decline '(version = 1, decline = (frameworkId = "fw-1", offerIds = ["o-1", "o-2"], filters = (refuseSeconds = 30)))'
seed reconcile '(version = 1, reconcile = (frameworkId = "fw-1", tasks = [(taskId = "t-1", agentId = "a-1"), (taskId = "t-2")]))'
seed status_update '(version = 1, statusUpdate = (status = (taskId = "t-1", frameworkId = "fw-1", agentId = "a-1", state = failed,
  reason = commandExited, message = "command exited with status 3", source = agent, uuid = "u-1", timestamp = 1767225600.5,
  hasExitCode = true, exitCode = 3, labels = [(key = "team", value = "web")], agentHostname = "node-1", sandbox = "/var/lib/agora/s")))'
seed api_request '(version = 1, apiRequest = (requestId = 9, method = "GET", path = "/api/v1/state?x=1&x=2", body = ""))'
seed redirect '(version = 1, redirect = (zmq = "tcp://10.0.0.2:5050", http = "http://10.0.0.2:5051", message = "not the leader"))'
