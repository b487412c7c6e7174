#!/usr/bin/python3
"""Hand annotation of faces in frames of a clip, for the scene-context ground
truth (src/eval/testdata/context_faces.jsonl; docs/recall.md, "Scene
context").

  show:  scripts/annotate_faces.py show CLIP INDEX... --sidecar S --out DIR
         writes DIR/<clip>-<index>.png: the frame at 2x with a 20 px grid
         (labels every 100 px) and every face box of the sidecar (a run with
         --context off, which hides the most) numbered, to be looked at.
  crops: scripts/annotate_faces.py crops CLIP INDEX... --sidecar S --out DIR
         writes DIR/<clip>-<index>-crops.png: each face box of the sidecar
         in that frame, numbered, at 4x with its surroundings (3x the box,
         at least 40 px), to be judged face or not one by one.
  write: scripts/annotate_faces.py write CLIP --labels FILE --frame INDEX:BOXES ...
         BOXES: semicolon-separated faces, each "#N" (sidecar box N of that
         frame, taken as drawn) or "x,y,w,h" (frame pixels, read off the
         grid); an empty BOXES marks a frame with no face. Appends one
         Veil-format label line per frame to FILE (veil eval --format veil).

Frames are read with OpenCV, as veil's own decoder numbers them (0-based).
"""
import argparse, json, os, sys

import cv2


def read_frames(clip, wanted):
    cap = cv2.VideoCapture(clip)
    out, i = {}, 0
    while len(out) < len(wanted):
        ok, f = cap.read()
        if not ok:
            break
        if i in wanted:
            out[i] = f
        i += 1
    missing = set(wanted) - set(out)
    if missing:
        sys.exit(f"{clip}: no frame {sorted(missing)}")
    return out


def sidecar_faces(path, clip):
    faces = {}
    for line in open(path):
        f = json.loads(line)
        if "detections" in f and f["file"] == os.path.basename(clip):
            faces[f["index"]] = [d["box"] for d in f["detections"] if d["class"] == "face"]
    return faces


def show(a):
    frames = read_frames(a.clip, set(a.index))
    faces = sidecar_faces(a.sidecar, a.clip)
    os.makedirs(a.out, exist_ok=True)
    k = 2
    for i, f in frames.items():
        big = cv2.resize(f, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC)
        for x in range(0, f.shape[1], 20):
            cv2.line(big, (x * k, 0), (x * k, big.shape[0]), (200, 200, 200) if x % 100 else (0, 255, 255), 1)
        for y in range(0, f.shape[0], 20):
            cv2.line(big, (0, y * k), (big.shape[1], y * k), (200, 200, 200) if y % 100 else (0, 255, 255), 1)
        for x in range(0, f.shape[1], 100):
            cv2.putText(big, str(x), (x * k + 2, 14), 0, 0.45, (0, 255, 255), 1)
        for y in range(100, f.shape[0], 100):
            cv2.putText(big, str(y), (2, y * k - 3), 0, 0.45, (0, 255, 255), 1)
        for n, (x, y, w, h) in enumerate(faces.get(i, [])):
            cv2.rectangle(big, (int(x * k), int(y * k)), (int((x + w) * k), int((y + h) * k)), (0, 0, 255), 1)
            cv2.putText(big, f"#{n}", (int(x * k), int(y * k) - 2), 0, 0.5, (0, 0, 255), 1)
        name = os.path.join(a.out, f"{os.path.splitext(os.path.basename(a.clip))[0]}-{i}.png")
        cv2.imwrite(name, big)
        print(name)


def crops(a):
    frames = read_frames(a.clip, set(a.index))
    faces = sidecar_faces(a.sidecar, a.clip)
    os.makedirs(a.out, exist_ok=True)
    for i, f in frames.items():
        tiles = []
        for n, (x, y, w, h) in enumerate(faces.get(i, [])):
            side = max(40, int(3 * max(w, h)))
            cx, cy = int(x + w / 2), int(y + h / 2)
            x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
            crop = f[y0:y0 + side, x0:x0 + side].copy()
            cv2.rectangle(crop, (int(x) - x0, int(y) - y0), (int(x + w) - x0, int(y + h) - y0), (0, 0, 255), 1)
            crop = cv2.resize(crop, (160, 160), interpolation=cv2.INTER_CUBIC)
            cv2.putText(crop, f"#{n}", (2, 14), 0, 0.5, (0, 255, 255), 1)
            tiles.append(crop)
        if not tiles:
            continue
        while len(tiles) % 6:
            tiles.append(tiles[0] * 0)
        rows = [cv2.hconcat(tiles[r:r + 6]) for r in range(0, len(tiles), 6)]
        name = os.path.join(a.out, f"{os.path.splitext(os.path.basename(a.clip))[0]}-{i}-crops.png")
        cv2.imwrite(name, cv2.vconcat(rows))
        print(name)


def write(a):
    faces = sidecar_faces(a.sidecar, a.clip) if a.sidecar else {}
    fps = cv2.VideoCapture(a.clip).get(cv2.CAP_PROP_FPS) or 25.0
    with open(a.labels, "a") as out:
        for spec in a.frame:
            index, _, boxes = spec.partition(":")
            index = int(index)
            dets = []
            for item in filter(None, (b.strip() for b in boxes.split(";"))):
                if item.startswith("#"):
                    box = faces[index][int(item[1:])]
                else:
                    box = [float(v) for v in item.split(",")]
                    if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
                        sys.exit(f"frame {index}: bad box {item!r}")
                # One object per face and frame: the frames chosen are apart.
                dets.append({"class": "face", "box": [round(v, 1) for v in box], "track": index * 100 + len(dets) + 1})
            # A time marks a video frame (veil eval tells video from photos by it).
            out.write(json.dumps({"file": os.path.basename(a.clip), "index": index, "pts": round(index / fps, 6),
                                  "detections": dets}) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("show")
    s.add_argument("clip")
    s.add_argument("index", type=int, nargs="+")
    s.add_argument("--sidecar", required=True)
    s.add_argument("--out", required=True)
    c = sub.add_parser("crops")
    c.add_argument("clip")
    c.add_argument("index", type=int, nargs="+")
    c.add_argument("--sidecar", required=True)
    c.add_argument("--out", required=True)
    w = sub.add_parser("write")
    w.add_argument("clip")
    w.add_argument("--labels", required=True)
    w.add_argument("--sidecar")
    w.add_argument("--frame", action="append", required=True)
    a = ap.parse_args()
    {"show": show, "crops": crops, "write": write}[a.cmd](a)


if __name__ == "__main__":
    main()
