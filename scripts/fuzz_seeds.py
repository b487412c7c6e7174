#!/usr/bin/python3
"""Makes the fuzz targets' seed corpora from real files (../shared and the
repository's own test data) into a folder outside git, one sub-folder per
target. Run by scripts/fuzz.sh; nothing from ../shared is committed.

Usage: fuzz_seeds.py SHARED_DIR OUT_DIR
"""
import glob, json, os, subprocess, sys

import cv2

shared, out = sys.argv[1], sys.argv[2]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def ffmpeg(*args):
    """True when the ffmpeg program made the file (some pairs of clip and codec cannot be)."""
    return subprocess.run(["ffmpeg", "-v", "quiet", "-y", *args]).returncode == 0


# Video: the first frames of each real clip, small, in several containers
# and codecs (audio kept where there is some); and the raw head of each file.
tmp = os.path.join(out, "tmp")
os.makedirs(tmp, exist_ok=True)
for clip in sorted(glob.glob(os.path.join(shared, "data", "video", "*"))):
    base, ext = os.path.splitext(os.path.basename(clip))
    if ext not in (".mp4", ".gif"):
        continue
    with open(clip, "rb") as f:
        put("video_source_fuzz", base + "-head" + ext, f.read(48 * 1024))
    for container, codec in ((".mp4", ["-c:v", "libx264", "-preset", "ultrafast"]), (".mkv", ["-c:v", "libx264"]),
                             (".ts", ["-c:v", "mpeg2video"]), (".webm", ["-c:v", "libvpx"]),
                             (".avi", ["-c:v", "mjpeg"]), (".gif", [])):
        path = os.path.join(tmp, base + container)
        if ffmpeg("-i", clip, "-frames:v", "3", "-vf", "scale=96:-2,format=yuv420p", *codec, path):
            with open(path, "rb") as f:
                put("video_source_fuzz", base + container, f.read())

# Images: a few faces-dev photos, small, in every format Veil reads.
for photo in sorted(glob.glob(os.path.join(shared, "data", "faces-dev", "images", "*.jpg")))[:4]:
    image = cv2.imread(photo)
    small = cv2.resize(image, (64, int(64 * image.shape[0] / image.shape[1])))
    base = os.path.splitext(os.path.basename(photo))[0]
    for fmt in (".jpg", ".png", ".bmp", ".webp", ".tif", ".jp2"):
        ok, data = cv2.imencode(fmt, small)
        if ok:
            put("image_source_fuzz", base + fmt, data.tobytes())

# Sidecars and annotations: the repository's labelled clips (Veil format),
# faces-dev VOC, plates-dev OpenALPR, and small WIDER and COCO files. The
# annotation target's first byte picks the format.
sidecars = [os.path.join(root, "src", "eval", "testdata", "dashcam_far_plates.jsonl")]
for path in sidecars:
    with open(path, "rb") as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    put("sidecar_fuzz", os.path.basename(path), b"".join(lines[:20]))
    put("annotations_fuzz", "veil-" + os.path.basename(path), b"\x04" + b"".join(lines[:20]))
edited = [
    {"file": "c.mp4", "index": 0, "pts": 0.0, "detections": [
        {"class": "face", "score": 0.9, "box": [10, 10, 20, 20], "track": 3, "model": "yunet-face"},
        {"class": "plate", "score": 0.5, "box": [90, 60, 40, 12], "corners": [[90, 60], [130, 60], [130, 72], [90, 72]],
         "excluded": True}]},
    {"file": "c.mp4", "index": 4, "pts": 0.16, "detections": [
        {"class": "face", "box": [1, 2, 30, 40], "track": 900, "source": "manual"}]},
    {"file": "c.mp4", "index": 9, "pts": 0.36, "detections": [
        {"class": "face", "box": [40, 2, 30, 40], "track": 900, "source": "manual"}]},
    {"file": "c.mp4", "track": 3, "excluded": True},
]
put("sidecar_fuzz", "edited.jsonl", "".join(json.dumps(l) + "\n" for l in edited).encode())
for path in sorted(glob.glob(os.path.join(shared, "data", "faces-dev", "annotations", "*.xml")))[:5]:
    with open(path, "rb") as f:
        put("annotations_fuzz", "voc-" + os.path.basename(path), b"\x00" + f.read())
for path in sorted(glob.glob(os.path.join(shared, "data", "plates-dev", "*.txt")))[:5]:
    with open(path, "rb") as f:
        put("annotations_fuzz", "openalpr-" + os.path.basename(path), b"\x01" + f.read())
put("annotations_fuzz", "wider.txt", b"\x020--Parade/0_Parade_1.jpg\n2\n10 20 30 40 0 0 0 0 0 0\n50 60 7 8 0 0 0 0 0 0\n")
put("annotations_fuzz", "coco.json", b"\x03" + json.dumps({
    "images": [{"id": 1, "file_name": "a.jpg"}],
    "categories": [{"id": 1, "name": "face"}, {"id": 2, "name": "license_plate"}],
    "annotations": [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]},
                    {"image_id": 1, "category_id": 2, "bbox": [5, 6, 7, 8]}]}).encode())

# The model manifest, and job messages as `veil submit` writes them.
with open(os.path.join(root, "models", "manifest.json"), "rb") as f:
    put("manifest_fuzz", "manifest.json", f.read())
put("job_fuzz", "job.json", json.dumps({"id": "0f3a", "input": "s3://raw/a.mp4", "output": "s3://out/a.mp4",
                                        "detections": "s3://out/a.mp4.jsonl", "args": ["--preset", "veryfast"]}).encode())
put("job_fuzz", "local.json", json.dumps({"id": "1", "input": "/data/a.mp4", "output": "/out/a.mp4"}).encode())

# S3's XML answers.
put("s3_xml_fuzz", "list.xml", b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>raw</Name><Prefix>2026/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr</NextContinuationToken><Contents><Key>2026/a.mp4</Key><Size>4029233</Size><ETag>"9b2cf535f27731c974343645a3985328"</ETag></Contents><Contents><Key>2026/b.jpg</Key><Size>1024</Size></Contents></ListBucketResult>')
put("s3_xml_fuzz", "error.xml", b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Region>eu-west-1</Region></Error>')
put("s3_xml_fuzz", "upload.xml", b'<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>')

for f in glob.glob(os.path.join(tmp, "*")):
    os.remove(f)
os.rmdir(tmp)
for target in sorted(os.listdir(out)):
    print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")
