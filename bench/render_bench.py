#!/usr/bin/python3
"""`veil render` speed (not a test): times render of a sidecar (analysed once,
cached) against a plain FFmpeg transcode with the same x264 preset and CRF,
alternating the two in the same session; prints medians, the ratio, frames
per second and peak memory, and whether the target is met: render takes at
most 1.3x the transcode's time at 1080p (it decodes, redacts from the
sidecar and encodes; no detector runs).

Inputs: as bench/bench.py (540p, 720p, and the 540p clip upscaled to 1080p).

Usage: bench/render_bench.py [--runs 3] [--sizes 720p,1080p] [--preset veryfast:20] [--mode blur]
"""
import argparse, os, statistics, subprocess, sys

from bench import ROOT, cache_dir, frame_count, prepare, timed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--veil", default=os.path.join(ROOT, "build", "veil"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="720p,1080p")
    ap.add_argument("--preset", default="veryfast:20", help="x264 PRESET:CRF")
    ap.add_argument("--mode", default="blur", help="render's --mode")
    ap.add_argument("--max-ratio", type=float, default=1.3, help="target at 1080p")
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("VEIL_MODEL_DIR", os.path.join(a.shared, "models"))
    out_dir = cache_dir()
    preset, crf = a.preset.split(":")
    sizes = prepare(a.shared, a.sizes.split(","))
    failed = []
    print(f"veil render {a.veil}; --mode {a.mode}; preset {preset}, crf {crf}; {os.cpu_count()} cores; "
          f"{a.runs} runs each, alternating")
    print(f"{'input':<8}{'size':>10}{'frames':>8}{'objects':>9}{'ffmpeg s':>10}{'render s':>10}{'ratio':>7}"
          f"{'fps':>8}{'peak MiB':>10}")
    for name, path in sizes.items():
        frames, size = frame_count(path)
        sidecar = os.path.join(out_dir, f"render-{name}.jsonl")
        if not os.path.exists(sidecar):
            print(f"analysing {path} once for its sidecar", file=sys.stderr)
            subprocess.run([a.veil, "anonymize", path, "-o", os.path.join(out_dir, "analysed.mp4"), "--mode", "none",
                            "--detections", sidecar, "--preset", "ultrafast", "-q"], env=env, check=True)
        objects = sum(line.count('"class"') for line in open(sidecar))
        ffmpeg = ["ffmpeg", "-v", "error", "-y", "-i", path, "-c:v", "libx264", "-preset", preset, "-crf", crf,
                  "-c:a", "copy", os.path.join(out_dir, "baseline.mp4")]
        render = [a.veil, "render", path, "--detections", sidecar, "-o", os.path.join(out_dir, "render.mp4"),
                  "--mode", a.mode, "--preset", preset, "--crf", crf, "-q"]
        tb, tr = [], []
        for _ in range(a.runs):
            tb.append(timed(ffmpeg, env))
            tr.append(timed(render, env))
        mb = statistics.median(t[0] for t in tb)
        mr = statistics.median(t[0] for t in tr)
        rss = max(t[1] for t in tr)
        print(f"{name:<8}{size:>10}{frames:>8}{objects:>9}{mb:>10.2f}{mr:>10.2f}{mr / mb:>7.2f}{frames / mr:>8.1f}"
              f"{rss:>10.0f}", flush=True)
        if name == "1080p" and mr / mb > a.max_ratio:
            failed.append(f"1080p: {mr / mb:.2f}x the transcode (target {a.max_ratio}x)")
    print("target: " + ("met" if not failed else "NOT met: " + "; ".join(failed)))


if __name__ == "__main__":
    main()
