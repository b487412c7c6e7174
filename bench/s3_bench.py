#!/usr/bin/python3
"""What S3 costs (not a test): `veil anonymize` of the same clip local -> local,
s3 -> local, local -> s3 and s3 -> s3 against a local S3-compatible server
(tests/servers/s3_server.js, on 127.0.0.1), alternating in the same session;
prints median wall time, peak memory and the difference from the local run.
The issue's target: a 1080p object takes at most 64 MiB more than the same
local file. Loopback hides network latency and bandwidth: this measures what
Veil itself spends (read-ahead buffers, the upload's parts), not a WAN.

Input: the 1080p clip bench/bench.py prepares (the 540p dashcam clip
upscaled), or --input FILE.

Usage: bench/s3_bench.py [--runs 3] [--input FILE] [--preset veryfast]
"""
import argparse, hashlib, os, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench  # noqa: E402  (prepare, timed)


def put(endpoint, bucket, key, path):
    """Uploads with the curl program, signed (bench tooling only)."""
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    subprocess.run(["curl", "-sf", "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "-u", "S3RVER:S3RVER",
                    "-H", f"x-amz-content-sha256: {digest}", "--data-binary", f"@{path}",
                    f"{endpoint}/{bucket}/{key}"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--veil", default=os.path.join(ROOT, "build", "veil"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--input")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--preset", default="veryfast")
    a = ap.parse_args()
    clip = a.input or bench.prepare(a.shared, ["1080p"])["1080p"]
    work = tempfile.mkdtemp(prefix="veil-s3-bench-")
    server = subprocess.Popen(["node", os.path.join(ROOT, "tests", "servers", "s3_server.js"), "--dir",
                               os.path.join(work, "store"), "--bucket", "raw", "--bucket", "out"],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline().split()[1])
        endpoint = f"http://127.0.0.1:{port}"
        env = dict(os.environ, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER", AWS_ENDPOINT_URL=endpoint)
        env.setdefault("VEIL_MODEL_DIR", os.path.join(a.shared, "models"))
        put(endpoint, "raw", "clip.mp4", clip)
        local_out = os.path.join(work, "out.mp4")
        runs = {
            "local -> local": [clip, local_out],
            "s3 -> local": ["s3://raw/clip.mp4", local_out],
            "local -> s3": [clip, "s3://out/clip.mp4"],
            "s3 -> s3": ["s3://raw/clip.mp4", "s3://out/clip.mp4"],
        }
        results = {name: [] for name in runs}
        for _ in range(a.runs):
            for name, (src, dst) in runs.items():
                cmd = [a.veil, "anonymize", src, "-o", dst, "--preset", a.preset, "-q"]
                results[name].append(bench.timed(cmd, env))
        base_t = statistics.median(r[0] for r in results["local -> local"])
        base_m = statistics.median(r[1] for r in results["local -> local"])
        print(f"{os.path.basename(clip)}, {os.path.getsize(clip) / 2**20:.1f} MiB, preset {a.preset}, "
              f"{a.runs} runs each (medians)")
        print(f"{'run':16} {'seconds':>8} {'vs local':>9} {'peak MiB':>9} {'vs local':>9}")
        for name, rs in results.items():
            t = statistics.median(r[0] for r in rs)
            m = statistics.median(r[1] for r in rs)
            print(f"{name:16} {t:8.1f} {t / base_t:8.2f}x {m:9.0f} {m - base_m:+8.0f}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
