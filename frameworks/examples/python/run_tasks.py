#!/usr/bin/env python3
"""Runs N tasks on an Agora cluster through the master's HTTP scheduler API (Mesos v1 JSON)
and exits 0 when all of them finished, 1 otherwise. Standard library only."""
import argparse, http.client, json, sys

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--master", default="127.0.0.1:5055", help="the master's HTTP host:port")
p.add_argument("--tasks", type=int, default=3)
p.add_argument("--command", default="echo hello from $AGORA_TASK_ID")
p.add_argument("--cpus", type=float, default=0.1)
p.add_argument("--mem", type=float, default=32)
args = p.parse_args()
host, port = args.master.rsplit(":", 1)
JSON = {"Content-Type": "application/json"}

stream = http.client.HTTPConnection(host, int(port))
stream.request("POST", "/api/v1/scheduler", json.dumps({"type": "SUBSCRIBE", "subscribe": {
    "framework_info": {"user": "root", "name": "python-example", "roles": ["*"]}}}), JSON)
events = stream.getresponse()
if events.status != 200:
    sys.exit(f"SUBSCRIBE refused: {events.status} {events.read().decode()}")
stream_id, framework_id = events.getheader("Mesos-Stream-Id"), None
calls = http.client.HTTPConnection(host, int(port))

def call(type_, **body):
    body.update(type=type_, framework_id={"value": framework_id})
    calls.request("POST", "/api/v1/scheduler", json.dumps(body), {**JSON, "Mesos-Stream-Id": stream_id})
    answer = calls.getresponse()
    text = answer.read().decode()
    if answer.status != 202:
        sys.exit(f"{type_} refused: {answer.status} {text}")

def records():  # RecordIO: "<bytes>\n<json>", over and over
    while size := events.readline().strip():
        yield json.loads(events.read(int(size)))

def scalar(offer, name):
    return sum(r["scalar"]["value"] for r in offer["resources"] if r["name"] == name and r["type"] == "SCALAR")

def task(i, agent_id):
    return {"name": f"python-{i}", "task_id": {"value": f"python-{i}"}, "agent_id": agent_id,
            "command": {"value": args.command, "environment": {"variables": [{"name": "AGORA_TASK_ID", "value": f"python-{i}"}]}},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": args.cpus}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": args.mem}}]}

launched, results = 0, {}
for event in records():
    if event["type"] == "SUBSCRIBED":
        framework_id = event["subscribed"]["framework_id"]["value"]
    elif event["type"] == "OFFERS":
        for offer in event["offers"]["offers"]:
            cpus, mem, tasks = scalar(offer, "cpus"), scalar(offer, "mem"), []
            while launched < args.tasks and cpus >= args.cpus and mem >= args.mem:
                tasks.append(task(launched, offer["agent_id"]))
                launched, cpus, mem = launched + 1, cpus - args.cpus, mem - args.mem
            ops = [{"type": "LAUNCH", "launch": {"task_infos": tasks}}] if tasks else []
            call("ACCEPT", accept={"offer_ids": [offer["id"]], "operations": ops, "filters": {"refuse_seconds": 5}})
        if launched == args.tasks:
            call("SUPPRESS")
    elif event["type"] == "UPDATE":
        status = event["update"]["status"]
        if "uuid" in status:
            call("ACKNOWLEDGE", acknowledge={k: status[k] for k in ("agent_id", "task_id", "uuid")})
        if status["state"] not in ("TASK_STAGING", "TASK_STARTING", "TASK_RUNNING"):
            results[status["task_id"]["value"]] = status["state"]
            print(status["task_id"]["value"], status["state"], status.get("message", ""), flush=True)
        if len(results) == args.tasks:
            break
    elif event["type"] == "ERROR":
        sys.exit("the master says: " + event["error"]["message"])
call("TEARDOWN")
sys.exit(0 if results and all(s == "TASK_FINISHED" for s in results.values()) else 1)
