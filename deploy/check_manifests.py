#!/usr/bin/env python3
"""Checks deploy/ against the veil it ships: every flag a manifest passes is
one that `veil <command> --help` lists, every Veil pod with --metrics has its
liveness and readiness probes on /healthz and /readyz of that port, no pod
holds AWS keys (the role gives credentials), and the IAM policy grants only
what Veil uses. Usage: check_manifests.py PATH_TO_VEIL. Exits 1 on a finding."""
import json
import pathlib
import subprocess
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
VEIL_ACTIONS = {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}


def main(veil):
    problems = []
    helps = {}

    def flags_of(command):
        if command not in helps:
            out = subprocess.run([veil, command, "--help"], capture_output=True, text=True, check=True).stdout
            helps[command] = {word.split("=")[0].rstrip(",") for word in out.replace(",", " ").split()
                              if word.startswith("--")}
        return helps[command]

    docs = []
    for path in sorted((HERE / "k8s").glob("*.yaml")):
        docs += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    accounts = {d["metadata"]["name"]: d for _, d in docs if d["kind"] == "ServiceAccount"}
    veil_pods = 0
    for name, d in docs:
        if d["kind"] != "Deployment":
            continue
        spec = d["spec"]["template"]["spec"]
        for c in spec["containers"]:
            if "veil" not in c["image"]:
                continue
            veil_pods += 1
            where = f"{name}: {c['name']}"
            args = c.get("args", [])
            command = args[0]
            for a in args[1:]:
                if a.startswith("--") and a not in flags_of(command):
                    problems.append(f"{where}: veil {command} has no option {a}")
            for e in c.get("env", []):
                if e["name"] in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                    problems.append(f"{where}: holds {e['name']}; the pod's role gives credentials")
            if c.get("envFrom"):
                problems.append(f"{where}: takes its environment from a secret; no keys in pods")
            account = spec.get("serviceAccountName")
            if account not in accounts or "eks.amazonaws.com/role-arn" not in accounts[account]["metadata"].get(
                    "annotations", {}):
                problems.append(f"{where}: runs as {account!r}, not a service account with an IAM role")
            if "--metrics" in args:
                port = int(args[args.index("--metrics") + 1].rsplit(":", 1)[1])
                ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
                for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                    get = c.get(probe, {}).get("httpGet", {})
                    target = ports.get(get.get("port"), get.get("port"))
                    if get.get("path") != path or target != port:
                        problems.append(f"{where}: {probe} should GET {path} on port {port}")
            else:
                problems.append(f"{where}: no --metrics, so no probes")
    if veil_pods < 2:
        problems.append(f"expected the worker and watch Deployments, found {veil_pods} Veil containers")

    policy = json.loads((HERE / "iam" / "veil-s3-policy.json").read_text())
    for s in policy["Statement"]:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        for a in actions:
            if a not in VEIL_ACTIONS:
                problems.append(f"IAM policy {s.get('Sid')}: {a} is more than Veil needs")
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        if any(r in ("*", "arn:aws:s3:::*") for r in resources):
            problems.append(f"IAM policy {s.get('Sid')}: every bucket")
    json.loads((HERE / "iam" / "irsa-trust-policy.json").read_text())

    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
