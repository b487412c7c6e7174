#!/usr/bin/python3
"""What the sweep does to plates on real road footage: for each clip in
../shared/data/video that shows vehicles, the plates that every pass on every
frame finds, and how many of them each --sweep setting still hides.

There are no hand labels for most of these clips, so the reference is Veil
itself at full effort: `veil anonymize --no-tracking` (every pass of every
plate model on every frame). Its boxes are linked across frames into objects
(overlap, or centres within two box widths, gaps of up to 3 frames); objects
seen fewer than 5 times are dropped as one-off false detections; YOLOv8's
boxes, looser than a plate (1.16x its width, 1.36x its height on the model
line-up issue's measurements), are shrunk back to plate size, so that the
70% rule judges the plate and not the margin around it. Each setting is then
measured with `veil eval --format veil` on those labels (tracking on, as
`veil anonymize` runs by default): the share of (frame, plate) pairs hidden,
flicker leaks, and the run's wall time.

The reference runs with --context off, so that scene context (which drops
weak plates away from vehicles) is judged against what the plate models
find without it; --context chooses the setting measured.

Usage: scripts/plate_sweep_report.py [--veil build/veil] [--shared ../shared] [--sweeps 1,2,4,8,16]
                                     [--context on|off]
Prints a Markdown table (docs/line-up.md, "Plates on video").
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall_report import eval_set, run  # noqa: E402

CLIPS = ("CarND-LaneLines-P1_solidWhiteRight.mp4", "CarND-Vehicle-Detection_test_video.mp4", "car-detection.mp4")
YOLO_LOOSENESS = (1.16, 1.36)


def linked(a, b):
    """Whether box b (x, y, w, h) may be the same plate as a a few frames on."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    if ix * iy > 0.2 * (a[2] * a[3] + b[2] * b[3] - ix * iy):
        return True
    dist = ((a[0] + a[2] / 2 - b[0] - b[2] / 2) ** 2 + (a[1] + a[3] / 2 - b[1] - b[3] / 2) ** 2) ** 0.5
    return dist < 2 * max(a[2], b[2]) and max(a[2], b[2]) < 2 * min(a[2], b[2])


def labels_from(sidecar, out_path, min_sightings=5, max_gap=3):
    """Writes the reference objects as Veil-format labels; returns (boxes, objects)."""
    # Frame lines only: the provenance header (first line) lists no detections.
    frames = [f for f in (json.loads(line) for line in open(sidecar)) if "detections" in f]
    objects = []  # [last frame, last box, [(frame, detection index)]]
    for fi, f in enumerate(frames):
        for di, d in enumerate(f["detections"]):
            match = next((o for o in reversed(objects) if 0 < fi - o[0] <= max_gap and linked(o[1], d["box"])), None)
            if match is None:
                match = [fi, d["box"], []]
                objects.append(match)
            match[0], match[1] = fi, d["box"]
            match[2].append((fi, di))
    track = {m: k + 1 for k, o in enumerate(objects) if len(o[2]) >= min_sightings for m in o[2]}
    with open(out_path, "w") as out:
        for fi, f in enumerate(frames):
            dets = []
            for di, d in enumerate(f["detections"]):
                if (fi, di) not in track:
                    continue
                # A plate both models found: HyperLPR3's tight box, when it is there.
                tight = [m for m in d.get("found_by", []) if not m["model"].startswith("yolov8")]
                if tight:
                    d = tight[0]
                x, y, w, h = d["box"]
                if d.get("model", "").startswith("yolov8"):
                    cx, cy = x + w / 2, y + h / 2
                    w, h = w / YOLO_LOOSENESS[0], h / YOLO_LOOSENESS[1]
                    x, y = cx - w / 2, cy - h / 2
                dets.append({"class": "plate", "score": 1.0, "box": [x, y, w, h], "track": track[(fi, di)]})
            out.write(json.dumps({"file": f["file"], "index": f["index"], "pts": f["pts"], "detections": dets}) + "\n")
    return len(track), len(set(track.values()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--veil", default="build/veil")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--sweeps", default="1,2,4,8,16")
    ap.add_argument("--context", default="on", choices=("on", "mark", "off"))
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("VEIL_MODEL_DIR", os.path.join(a.shared, "models"))
    tmp = "/tmp/veil-plate-sweep"
    os.makedirs(tmp, exist_ok=True)
    sweeps = [int(s) for s in a.sweeps.split(",")]

    print("| clip | reference plates (objects) | " + " | ".join(f"--sweep {s}" for s in sweeps) + " |")
    print("|---|---|" + "---|" * len(sweeps))
    for clip in CLIPS:
        path = os.path.join(a.shared, "data", "video", clip)
        ref = os.path.join(tmp, clip + ".ref.jsonl")
        out = os.path.join(tmp, clip + ".ref.mp4")
        if os.path.exists(out):
            os.remove(out)
        run([a.veil, "anonymize", path, "-o", out, "-q", "--targets", "plate", "--no-tracking", "--mode", "none",
             "--preset", "ultrafast", "--context", "off", "--detections", ref], env)
        labels = os.path.join(tmp, clip + ".labels.jsonl")
        boxes, objects = labels_from(ref, labels)
        cells = []
        for s in sweeps:
            res, secs = eval_set(a.veil, env, path, labels, "veil",
                                 ["--class", "plate", "--targets", "plate", "--sweep", str(s),
                                  "--context", a.context])
            v = res["video"]
            cells.append(f"{100 * v['share']:.1f}% ({v['object_frames_hidden']}/{v['object_frames']}), "
                         f"{v['flicker_leaks']} flicker, {secs:.1f} s")
        print(f"| {clip} | {boxes} ({objects}) | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
