#!/usr/bin/python3
"""`veil anonymize --live` under a real-time stream (not a test): the ffmpeg
program plays a clip as a camera would (H.264 in MPEG-TS over UDP on
loopback, at its own frame rate, `-re`), Veil reads it live and writes HLS,
and its --stats file says how it kept up. The baseline is the stream
itself: frames per second in against frames per second analysed out.

Prints per input: frames, the stream's fps, frames analysed (not hidden
whole) as a share, latency mean and max, the largest sweep and lightening
level the schedule reached, peak memory and CPU (from /proc, over the whole
run: the idle seconds before and after the stream count too), and whether
the targets are met: at least 95% of frames analysed at 720p and 50% at
1080p, and no frame later than the latency plus 0.1 s.

Inputs: as bench/bench.py (540p native, 720p: the 540p clip upscaled, so
that every size runs as long; 1080p: the same upscaled), first 10 s.

Usage: bench/live_bench.py [--sizes 540p,720p,1080p] [--latency 1s] [--seconds 10] [-- extra veil options]
"""
import argparse, json, os, re, signal, socket, subprocess, sys, time

from bench import ROOT, cache_dir


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def camera_recording(shared, size, seconds):
    """The 540p dashcam clip at `size`, as a camera sends it (keyframe a second)."""
    heights = {"540p": 540, "720p": 720, "1080p": 1080}
    out = os.path.join(cache_dir(), f"live-{size}-{seconds}s.ts")
    if not os.path.exists(out):
        src = os.path.join(shared, "data", "video", "CarND-LaneLines-P1_solidWhiteRight.mp4")
        h = heights[size]
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "3", "-i", src, "-t", str(seconds),
                        "-vf", f"scale=-2:{h}", "-an", "-c:v", "libx264", "-preset", "veryfast", "-g", "25",
                        "-pix_fmt", "yuv420p", "-f", "mpegts", out], check=True)
    return out


def run_one(veil, env, ts, latency, extra):
    port = free_udp_port()
    out_dir = os.path.join(cache_dir(), "live-out")
    subprocess.run(["rm", "-rf", out_dir])
    os.makedirs(out_dir)
    stats = os.path.join(out_dir, "stats.jsonl")
    started = time.time()
    proc = subprocess.Popen([veil, "anonymize", f"udp://127.0.0.1:{port}",
                             "-o", os.path.join(out_dir, "live.m3u8"), "--live", "--latency", latency,
                             "--stats", stats, "-q"] + extra, env=env)
    time.sleep(2)
    subprocess.run(["ffmpeg", "-v", "error", "-re", "-i", ts, "-c", "copy", "-f", "mpegts",
                    f"udp://127.0.0.1:{port}?pkt_size=1316"], check=True)
    time.sleep(float(latency.rstrip("ms")) / (1000 if latency.endswith("ms") else 1) + 2)
    # Peak memory and CPU time so far, from /proc (Veil is idle from here on).
    rss = int(re.search(r"VmHWM:\s+(\d+) kB", open(f"/proc/{proc.pid}/status").read()).group(1)) / 1024
    fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
    cpu_seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    cpu = f"{100 * cpu_seconds / (time.time() - started):.0f}"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    records = [json.loads(l) for l in open(stats)]
    status = [r for r in records if r.get("type") == "status" and r["frames_out"] > 0]
    end = [r for r in records if r.get("event") == "end"][0]
    weighted = sum(r["latency_mean_s"] * r["fps_out"] for r in status) / max(1e-9, sum(r["fps_out"] for r in status))
    return {"frames": end["frames_out"], "hidden": end["hidden_whole"], "latency_mean": weighted,
            "latency_max": end["latency_max_s"], "sweep": max(r["sweep"] for r in status),
            "lighter": max(r.get("lighter", 0) for r in status), "rss": rss, "cpu": cpu}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--veil", default=os.path.join(ROOT, "build", "veil"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--sizes", default="540p,720p,1080p")
    ap.add_argument("--latency", default="1s")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("extra", nargs="*", help="more veil options (after --)")
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("VEIL_MODEL_DIR", os.path.join(a.shared, "models"))
    print(f"veil --live {a.veil}; --latency {a.latency} {' '.join(a.extra)}; {os.cpu_count()} cores; "
          f"{a.seconds} s at 25 fps per size")
    print(f"{'input':<8}{'frames':>8}{'analysed':>10}{'lat mean':>10}{'lat max':>9}{'sweep':>7}{'lighter':>8}"
          f"{'peak MiB':>10}{'CPU':>7}")
    latency = float(a.latency.rstrip("ms")) / (1000 if a.latency.endswith("ms") else 1)
    minimum = {"720p": 95.0, "1080p": 50.0}
    failed = []
    for size in a.sizes.split(","):
        ts = camera_recording(a.shared, size, a.seconds)
        r = run_one(a.veil, env, ts, a.latency, a.extra)
        analysed = 100.0 * (r["frames"] - r["hidden"]) / max(1, r["frames"])
        print(f"{size:<8}{r['frames']:>8}{analysed:>9.1f}%{r['latency_mean']:>9.2f}s{r['latency_max']:>8.2f}s"
              f"{r['sweep']:>7}{r['lighter']:>8}{r['rss']:>10.0f}{r['cpu']:>6}%", flush=True)
        if analysed < minimum.get(size, 0):
            failed.append(f"{size}: {analysed:.1f}% analysed (target >= {minimum[size]:.0f}%)")
        if r["latency_max"] > latency + 0.1:
            failed.append(f"{size}: a frame {r['latency_max']:.2f} s late (target <= {latency + 0.1:.2f} s)")
    print("targets: " + ("met" if not failed else "NOT met: " + "; ".join(failed)))


if __name__ == "__main__":
    sys.exit(main())
