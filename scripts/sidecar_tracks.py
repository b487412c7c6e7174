#!/usr/bin/python3
"""Counts the objects a sidecar lists and finds tracks that sit on one object.

Usage: sidecar_tracks.py SIDECAR.jsonl [--iou 0.3] [--json]

Per class: tracks (objects), boxes (detector and tracker), and the frames in
which two tracks of that class overlap by more than --iou: with the models'
boxes fused into one detection (docs/line-up.md) there should be none, since
two tracks on one face means a reviewer who excludes one still sees the face
hidden through the other.
"""
import argparse, collections, itertools, json, sys


def iou(a, b):
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sidecar")
    ap.add_argument("--iou", type=float, default=0.3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    tracks = collections.defaultdict(set)
    boxes = collections.Counter()
    overlap_frames = collections.Counter()
    overlap_pairs = collections.defaultdict(set)
    with open(a.sidecar) as f:
        for text in f:
            line = json.loads(text)
            if "detections" not in line:
                continue
            by_class = collections.defaultdict(list)
            for d in line["detections"]:
                boxes[d["class"]] += 1
                if "track" in d:
                    tracks[d["class"]].add(d["track"])
                    by_class[d["class"]].append(d)
            for cls, ds in by_class.items():
                hit = False
                for p, q in itertools.combinations(ds, 2):
                    if p["track"] != q["track"] and iou(p["box"], q["box"]) > a.iou:
                        hit = True
                        overlap_pairs[cls].add(tuple(sorted((p["track"], q["track"]))))
                overlap_frames[cls] += hit
    classes = sorted(set(boxes) | set(tracks))
    report = {c: {"tracks": len(tracks[c]), "boxes": boxes[c], "frames_with_overlapping_tracks": overlap_frames[c],
                  "overlapping_track_pairs": len(overlap_pairs[c])} for c in classes}
    if a.json:
        print(json.dumps(report))
        return
    for c, r in report.items():
        print(f"{c}: {r['tracks']} tracks, {r['boxes']} boxes; {r['frames_with_overlapping_tracks']} frames where two "
              f"tracks overlap (IoU > {a.iou}), {r['overlapping_track_pairs']} such pairs")


if __name__ == "__main__":
    sys.exit(main())
