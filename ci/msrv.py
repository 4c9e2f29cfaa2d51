"""Reads `cargo metadata` on stdin; fails if a dependency of the library
crates declares a rust-version newer than the workspace's."""
import json
import sys

LIBS = {"shakedown", "shakedown-sim", "shakedown-nemesis", "shakedown-checkers"}


def version(v):
    parts = [int(x) for x in (v or "0").split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


meta = json.load(sys.stdin)
pkgs = {p["id"]: p for p in meta["packages"]}
members = set(meta["workspace_members"])
ours = {pkgs[i]["rust_version"] for i in members if pkgs[i].get("rust_version")}
if len(ours) != 1:
    sys.exit(f"error: the workspace crates declare different rust-versions: {sorted(ours)}")
msrv = ours.pop()
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
seen, stack = set(), [i for i in members if pkgs[i]["name"] in LIBS]
while stack:
    i = stack.pop()
    if i in seen:
        continue
    seen.add(i)
    for d in nodes[i]["deps"]:
        # Normal dependencies only: what a user of the libraries builds
        # on this platform (ci/msrv.sh filters the graph to the host).
        if any(k["kind"] is None for k in d["dep_kinds"]):
            stack.append(d["pkg"])
too_new = []
for i in sorted(seen - members):
    p = pkgs[i]
    if version(p.get("rust_version")) > version(msrv):
        too_new.append(f"{p['name']} {p['version']} needs Rust {p['rust_version']}")
if too_new:
    sys.exit(f"error: dependencies newer than the MSRV {msrv}:\n  " + "\n  ".join(too_new))
print(f"msrv {msrv}: all {len(seen - members)} dependencies of the library crates allow it")
