#!/usr/bin/python3
"""Regenerates docs/recall.md: Veil's recall by box height on each dev set,
measured with `veil eval` (which agrees with ../shared/tools/coverage.py, a
test checks it), for the default model line-up and the plate line-ups one
may choose instead, the dashcam clip's far plates frame by frame, and what
each costs in time per frame.

Usage: scripts/recall_report.py [--veil build/veil] [--shared ../shared] [--out docs/recall.md]
Every number in the output comes from a run made by this script.
"""
import argparse, json, os, platform, subprocess, sys, time


def run(cmd, env):
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return p.stdout, time.monotonic() - t


def eval_set(veil, env, images, annotations, fmt, extra=()):
    out, secs = run([veil, "eval", images, "--annotations", annotations, "--format", fmt, "--json", "-q", *extra], env)
    return json.loads(out), secs


def precision_row(veil, env, clip, cls, tmp, extra=(), label=None):
    """One row of the precision table: `cls` boxes on a clip that has none."""
    import cv2
    import numpy as np
    side = os.path.join(tmp, "precision.jsonl")
    run([veil, "anonymize", clip, "-o", os.path.join(tmp, "precision.mp4"), "-q", "--mode", "none",
         "--preset", "ultrafast", "--targets", cls, "--detections", side, *extra], env)
    cap = cv2.VideoCapture(clip)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    shares, boxes = [], 0
    for line in open(side):
        frame = json.loads(line)
        if "detections" not in frame:
            continue  # the provenance header
        mask = np.zeros((h, w), np.uint8)
        for d in frame["detections"]:
            if d["class"] != cls:
                continue
            boxes += 1
            # An object several models found hides each one's box.
            for x, y, bw, bh in [d["box"]] + [m["box"] for m in d.get("found_by", [])]:
                x0, y0 = max(0, int(x)), max(0, int(y))
                x1, y1 = min(w, int(np.ceil(x + bw))), min(h, int(np.ceil(y + bh)))
                if x1 > x0 and y1 > y0:
                    mask[y0:y1, x0:x1] = 1
        shares.append(mask.mean())
    n = len(shares)
    return (f"| {label or os.path.basename(clip)} ({w}x{h}) | {cls} | {n} | {boxes / n:.2f} | {100 * sum(shares) / n:.3f}% | "
            f"{100 * max(shares):.2f}% | {sum(s > 0.01 for s in shares)} |")


# Debian's opencv-doc: a campus walkway seen from above (pedestrians, barrier
# tape, no vehicle).
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
TESTDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "eval", "testdata")


def scene_context_section(veil, env, data, tmp, far):
    """The curves behind the support rule's thresholds, and the hand-annotated faces."""
    highway = f"{data}/video/CarND-Vehicle-Detection_test_video.mp4"
    out = ["", "## Scene context", "",
           "YOLOX-nano finds people and vehicles in every frame; a face scoring under `--weak-face` or a plate under "
           "`--weak-plate` is kept only with support: a person (faces) or vehicle box around it (grown 20% / 10%), "
           "a second model's box on it, a confirmed face of its size beside it (faces), or a track it continues. "
           "A frame where the context model sees no person or vehicle at 0.5 or more keeps every candidate (it "
           "does not recognise cars seen from above). Thresholds chosen from the curves below (faces-dev with both "
           "classes, as anonymize runs).", "",
           "| --weak-face | faces-dev hidden, >= 10 px | >= 20 px | false face det. / photo | highway clip: mean share hidden as faces | worst frame |",
           "|---|---|---|---|---|---|"]
    for weak in ("off", "0.5", "0.6", "0.7", "0.8"):
        extra = ["--context", "off"] if weak == "off" else ["--weak-face", weak]
        res, _ = eval_set(veil, env, f"{data}/faces-dev/images", f"{data}/faces-dev/annotations", "voc", extra)
        c = res["classes"]["face"]
        h = c["hidden"]
        big = [v for k, v in h["by_height"].items() if not k.startswith(("0-", "10-"))]
        cells = precision_row(veil, env, highway, "face", tmp, extra).split(" | ")
        label = "context off" if weak == "off" else weak + (" (default)" if weak == "0.7" else "")
        out.append(f"| {label} | {100 * h['recall']:.2f}% ({h['covered']}/{h['total']}) | "
                   f"{100 * sum(v[0] for v in big) / max(1, sum(v[1] for v in big)):.2f}% | {c['false_per_image']:.2f} | "
                   f"{cells[4]} | {cells[5]} |")
    out += ["", "| --weak-plate | plates-dev hidden | false plate det. / photo | far dashcam plates | vtest.avi: mean share hidden as plates | worst frame |",
            "|---|---|---|---|---|---|"]
    for weak in ("off", "0.5", "0.65", "0.75", "0.9"):
        extra = ["--context", "off"] if weak == "off" else ["--weak-plate", weak]
        res, _ = eval_set(veil, env, f"{data}/plates-dev", f"{data}/plates-dev", "openalpr", ["--targets", "plate", *extra])
        c = res["classes"]["plate"]
        clip, _ = eval_set(veil, env, highway, far, "veil", ["--targets", "plate", "--class", "plate", *extra])
        v = clip["video"]
        cells = (precision_row(veil, env, VTEST, "plate", tmp, extra).split(" | ") if os.path.exists(VTEST)
                 else ["", "", "", "", "n/a", "n/a"])
        label = "context off" if weak == "off" else weak + (" (default)" if weak == "0.75" else "")
        out.append(f"| {label} | {c['hidden']['covered']}/{c['hidden']['total']} | {c['false_per_image']:.2f} | "
                   f"{v['object_frames_hidden']}/{v['object_frames']} | {cells[4]} | {cells[5]} |")
    out += ["", "Faces the rule could lose, annotated by hand (`src/eval/testdata/README.md`): every face box of "
            "a `--context off` run looked at and kept when it is a visible face.", "",
            "| frames | faces | hidden, context on | context off | false face det. / frame, on | off |",
            "|---|---|---|---|---|---|"]
    for clip, labels, name in ((VTEST, "context_faces_vtest.jsonl", "vtest.avi, pedestrians from above (5 frames)"),
                               (f"{data}/video/face-demographics-walking.gif", "context_faces_walking.jsonl",
                                "face-demographics-walking.gif (3 frames)"),
                               (f"{data}/video/one-by-one-person-detection.mp4", "context_faces_indoor.jsonl",
                                "one-by-one-person-detection.mp4, backs of heads (7 frames)")):
        if not os.path.exists(clip):
            continue
        got = {}
        for context in ("on", "off"):
            res, _ = eval_set(veil, env, clip, os.path.join(TESTDATA, labels), "veil",
                              ["--targets", "face", "--class", "face", "--context", context])
            c = res["classes"]["face"]
            hits = [v for v in c["hidden"]["by_height"].values()]
            got[context] = (sum(v[0] for v in hits), sum(v[1] for v in hits), c["false_per_image"])
        out.append(f"| {name} | {got['on'][1]} | {got['on'][0]} | {got['off'][0]} | {got['on'][2]:.1f} | {got['off'][2]:.1f} |")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--veil", default="build/veil")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--out", default="docs/recall.md")
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("VEIL_MODEL_DIR", os.path.join(a.shared, "models"))
    data = os.path.join(a.shared, "data")
    tmp = "/tmp/veil-recall-report"
    os.makedirs(tmp, exist_ok=True)

    head = ["| set | class | hidden, boxes >= 10 px | >= 20 px | <10 px | 10-20 px | 20-32 px | 32-64 px | >=64 px | IoU 0.5 (>= 10 px) | false det. / image | outside | time / image |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def row(name, res, secs, cls):
        c = res["classes"][cls]
        h = c["hidden"]
        bins = [f"{v[0]}/{v[1]}" for v in h["by_height"].values()]
        big = [v for k, v in h["by_height"].items() if not k.startswith(("0-", "10-"))]
        hidden20, total20 = sum(v[0] for v in big), sum(v[1] for v in big)
        return (f"| {name} ({res['images']} images) | {cls} | **{100 * h['recall']:.1f}%** ({h['covered']}/{h['total']}) | "
                f"{100 * hidden20 / max(1, total20):.1f}% | "
                + " | ".join(bins)
                + f" | {100 * c['iou50']['recall']:.1f}% | {c['false_per_image']:.2f} | "
                  f"{100 * res['hidden_outside_gt']:.2f}% | {1000 * secs / res['images']:.0f} ms |")

    lines = ["# Recall and cost of Veil's defaults", "",
             "Generated by `scripts/recall_report.py`; do not edit by hand. "
             f"Machine: {platform.machine()}, {os.cpu_count()} cores. Defaults of `veil anonymize` "
             "(faces: YuNet and RetinaFace; plates: HyperLPR3-320 and YOLOv8; the models' boxes of one object fused into one detection that hides every one's mask; mask scale 1.3 for "
             "faces, plate outline or box grown 1.15).", "",
             "A box is *hidden* when at least 70% of its pixels are inside the area Veil hides (the rule of "
             "`../shared/tools/coverage.py`). *IoU 0.5* is the detection-style recall. *Outside* is the share "
             "of image area hidden outside every ground-truth box grown by a quarter of its size. Each set is "
             "measured for its own class only (`--targets`), so *outside* counts that class's masks alone.", "",
             "Why this line-up, and every trial behind it: [line-up.md](line-up.md).", "",
             "## Default line-up", ""] + head
    face_lineups = (("YuNet + RetinaFace (default)", "yunet-face,retinaface-face"),
                    ("YuNet alone", "yunet-face"),
                    ("RetinaFace alone", "retinaface-face"),
                    ("SCRFD-2.5G alone (non-commercial)", "scrfd-2.5g-face"),
                    ("YuNet + RetinaFace + SCRFD-2.5G (non-commercial)", "yunet-face,retinaface-face,scrfd-2.5g-face"))
    face_rows = []
    for label, models in face_lineups:
        faces, faces_s = eval_set(a.veil, env, f"{data}/faces-dev/images", f"{data}/faces-dev/annotations", "voc",
                                  ["--targets", "face", "--face-models", models, "--allow-noncommercial"])
        face_rows.append(row(f"faces-dev, {label}", faces, faces_s, "face"))
    lines.append(face_rows[0])
    both, both_s = eval_set(a.veil, env, f"{data}/faces-dev/images", f"{data}/faces-dev/annotations", "voc")
    lines.append(row("faces-dev, faces and plates", both, both_s, "face"))
    plate_lineups = (("HyperLPR3-320 + YOLOv8 (default)", "hyperlpr3-plate-320,yolov8-plate"),
                     ("HyperLPR3-320 alone", "hyperlpr3-plate-320"),
                     ("YOLOv8 alone", "yolov8-plate"))
    plate_rows, clip_rows = [], []
    far = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "eval", "testdata",
                       "dashcam_far_plates.jsonl")
    for label, models in plate_lineups:
        extra = ["--targets", "plate", "--plate-models", models]
        plates, plates_s = eval_set(a.veil, env, f"{data}/plates-dev", f"{data}/plates-dev", "openalpr", extra)
        plate_rows.append(row(f"plates-dev, {label}", plates, plates_s, "plate"))
        clip, _ = eval_set(a.veil, env, f"{data}/video/CarND-Vehicle-Detection_test_video.mp4", far, "veil",
                           extra + ["--class", "plate"])
        v = clip["video"]
        clip_rows.append(f"| {label} | {100 * v['share']:.1f}% ({v['object_frames_hidden']}/{v['object_frames']}) | "
                         f"{v['flicker_leaks']} |")
    lines.append(plate_rows[0])
    lines += ["", "*faces and plates*: every default model on the photos of faces, so *outside* also counts "
              "the plate masks (text, logos and signs that plate models take for plates)."]
    lines += ["", "## Face line-ups", "", "Chosen with `--face-models`; SCRFD's weights are for non-commercial "
              "research only (`--allow-noncommercial`).", ""] + head + face_rows
    lines += ["", "## Plate line-ups", "", "Chosen with `--plate-models`.", ""] + head + plate_rows
    lines += ["", "The two far rear plates (about 20x10 px) of the 1280x720 dashcam clip, labelled in every frame "
              "(`src/eval/testdata/dashcam_far_plates.jsonl`; `far_plates_test.cpp` holds the default to it):", "",
              "| plate line-up | (frame, plate) pairs hidden | flicker leaks |", "|---|---|---|"] + clip_rows
    lines += ["", "## Precision on footage without faces or plates", "",
              "`veil anonymize --mode none --detections` with the defaults on clips where one class never appears; "
              "per frame, the share of the frame covered by the boxes of that class (their union, clipped to the "
              "frame). Every one of these boxes is a false detection. Each clip with scene context (the default) "
              "and without (`--context off`).", "",
              "| clip | class (absent) | frames | boxes / frame | mean share hidden | worst frame | frames > 1% |",
              "|---|---|---|---|---|---|---|"]
    clips = [(f"{data}/video/one-by-one-person-detection.mp4", "plate"),
             (f"{data}/video/CarND-Vehicle-Detection_test_video.mp4", "face"),
             (f"{data}/video/CarND-LaneLines-P1_solidWhiteRight.mp4", "face")]
    if os.path.exists(VTEST):
        clips.append((VTEST, "plate"))
    for path, cls in clips:
        for context in ("on", "off"):
            lines.append(precision_row(a.veil, env, path, cls, tmp, ["--context", context],
                                       f"{os.path.basename(path)}, context {context}"))
    lines += scene_context_section(a.veil, env, data, tmp, far)
    lines += ["", "## Time per frame on real video", "",
              "`veil anonymize` on the clips in ../shared/data/video (wall time over frames, whole run: decode, "
              "detect, track, redact, encode with the default preset).", "",
              "| clip | setting | frames | ms / frame |", "|---|---|---|---|"]
    clip = f"{data}/video/CarND-LaneLines-P1_solidWhiteRight.mp4"
    for label, extra in (("defaults (faces + plates, tracking)", []),
                         ("plates by HyperLPR3-320 alone", ["--plate-models", "hyperlpr3-plate-320"]),
                         ("faces only", ["--targets", "face"]),
                         ("plates only", ["--targets", "plate"]),
                         ("no tracking", ["--no-tracking"]),
                         ("report only (--mode none)", ["--mode", "none"])):
        # The sidecar, one line per frame, gives the frame count of this very run.
        side = os.path.join(tmp, "o.jsonl")
        _, secs = run([a.veil, "anonymize", clip, "-o", os.path.join(tmp, "o.mp4"), "-q", "--detections", side,
                       *extra], env)
        n = sum(1 for _ in open(side))
        lines.append(f"| {os.path.basename(clip)} (960x540) | {label} | {n} | {1000 * secs / n:.0f} |")
    open(a.out, "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
