"""The Python module on real photos and a real clip: the same faces as the
CLI, numpy views, bad arrays, threads that really run at once, anonymize
with progress, and Ctrl-C."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import cv2
import numpy as np
import pytest

import veil

PHOTOS = ["maksssksksss0.jpg", "maksssksksss102.jpg", "maksssksksss105.jpg"]


def boxes(found, cls="face"):
    return sorted(tuple(round(v, 2) for v in d["box"]) for d in found if d["class"] == cls)


def test_version_and_error_type():
    assert veil.__version__ == "0.1.0"
    assert issubclass(veil.Error, RuntimeError)


@pytest.mark.parametrize("name", PHOTOS)
def test_detect_finds_the_faces_the_cli_finds(name, photos, detector, cli, tmp_path):
    photo = photos / name
    sidecar = tmp_path / "s.jsonl"
    subprocess.run([str(cli), "anonymize", str(photo), "-o", str(tmp_path / name), "-q", "--detections", str(sidecar)],
                   check=True)
    from_cli = []
    for line in sidecar.read_text().splitlines():
        record = json.loads(line)
        from_cli += record.get("detections", [])
    found = detector.detect(cv2.imread(str(photo)))
    assert boxes(found) and boxes(found) == pytest.approx(boxes(from_cli), abs=0.011)
    assert {d["class"] for d in found} <= {"face", "plate"}
    assert all(0 < d["score"] <= 1 for d in found)
    # The one-off form, and the module's own reader, agree.
    assert boxes(veil.detect(veil.read_image(photo))) == boxes(found)


def test_a_view_is_read_where_it_points(photos, detector):
    image = cv2.imread(str(photos / PHOTOS[0]))
    wide = np.zeros((image.shape[0], image.shape[1] + 50, 3), np.uint8)
    wide[:, 25:25 + image.shape[1]] = image
    view = wide[:, 25:25 + image.shape[1]]
    assert not view.flags["C_CONTIGUOUS"]
    assert boxes(detector.detect(view)) == boxes(detector.detect(image))
    # A flipped view (negative strides) is copied, and finds the mirrored faces.
    flipped = image[:, ::-1]
    width = image.shape[1]
    mirrored = sorted((round(width - x - w, 2), y, w, h) for x, y, w, h in boxes(detector.detect(flipped)))
    assert len(mirrored) == len(boxes(detector.detect(image)))


@pytest.mark.parametrize("bad, error", [
    (np.zeros((64, 64), np.uint8), veil.Error),           # grey
    (np.zeros((64, 64, 4), np.uint8), veil.Error),        # four channels
    (np.zeros((64, 64, 3), np.float32), TypeError),       # not 8-bit
    (np.zeros((0, 64, 3), np.uint8), veil.Error),         # empty
    (np.zeros((9000, 10, 3), np.uint8), veil.Error),      # too large
])
def test_a_wrong_array_raises_never_crashes(detector, bad, error):
    with pytest.raises(error):
        detector.detect(bad)


def test_wrong_options_raise():
    with pytest.raises(TypeError, match="unknown option"):
        veil.Detector(targetz="face")
    with pytest.raises(veil.Error, match="unknown class 'dog'"):
        veil.Detector(targets=["face", "dog"])
    with pytest.raises(veil.Error):
        veil.Detector(face_models=["no-such-model"])
    with pytest.raises(veil.Error, match="precision: unknown 'int4'"):
        veil.Detector(precision="int4")


def test_int8_finds_what_the_cli_finds_in_int8(photos, cli, tmp_path):
    photo = photos / PHOTOS[0]
    sidecar = tmp_path / "s.jsonl"
    subprocess.run([str(cli), "anonymize", str(photo), "-o", str(tmp_path / PHOTOS[0]), "-q", "--precision", "int8",
                    "--detections", str(sidecar)], check=True)
    from_cli = [d for line in sidecar.read_text().splitlines() for d in json.loads(line).get("detections", [])]
    found = veil.Detector(precision="int8").detect(cv2.imread(str(photo)))
    assert boxes(found) and boxes(found) == pytest.approx(boxes(from_cli), abs=0.011)


def test_redact_returns_a_new_array_changed_only_where_something_was_found(photos, detector):
    image = cv2.imread(str(photos / PHOTOS[0]))
    before = image.copy()
    found = detector.detect(image)
    hidden = veil.redact(image, found)
    assert np.array_equal(image, before), "the input is not changed"
    changed = (hidden != image).any(axis=2)
    near = np.zeros_like(changed)
    for d in found:
        x, y, w, h = d["box"]
        near[max(0, int(y - h / 2)):int(y + 1.5 * h) + 1, max(0, int(x - w / 2)):int(x + 1.5 * w) + 1] = True
        assert changed[int(y):int(y + h), int(x):int(x + w)].any(), d
    assert not (changed & ~near).any()
    filled = veil.redact(image, found, mode="fill", fill_color=(255, 0, 0))
    x, y, w, h = found[0]["box"]
    assert tuple(filled[int(y + h / 2), int(x + w / 2)]) == (0, 0, 255), "red, in BGR"
    with pytest.raises(veil.Error):
        veil.redact(image, found, mode="smudge")
    with pytest.raises(veil.Error):
        veil.redact(image, [{"class": "dog", "box": [1, 2, 3, 4]}])


def test_two_threads_detect_at_once(photos, detector):
    """The GIL is released while Veil works: Python code runs meanwhile, and
    two detections overlap."""
    image = cv2.imread(str(photos / PHOTOS[0]))
    big = cv2.resize(image, None, fx=3, fy=3)
    spans = []

    def work():
        start = time.monotonic()
        detector.detect(big)
        spans.append((start, time.monotonic()))

    ticks = 0
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        ticks += 1
    for t in threads:
        t.join()
    (a0, a1), (b0, b1) = sorted(spans)
    assert b0 < a1, "the second detection began only after the first ended"
    assert ticks > 10000, f"the main thread ran only {ticks} loops: the GIL was held"


def test_anonymize_writes_the_whole_clip_and_reports_progress(clips, tmp_path):
    told = []
    out = tmp_path / "walk.mp4"
    summary = veil.anonymize(clips / "face-demographics-walking.gif", out, progress=told.append, preset="ultrafast",
                             detections=tmp_path / "walk.jsonl")
    assert summary["frames"] == 35 and summary["files"] == 1
    assert summary["objects"]["face"] >= 1
    assert summary["outputs"] == [str(out)]
    video = cv2.VideoCapture(str(out))
    frames = 0
    while video.read()[0]:
        frames += 1
    assert frames == 35
    assert told and told[-1]["frame"] == 35 and told[-1]["file"] == "face-demographics-walking.gif"
    assert [p["frame"] for p in told] == sorted(p["frame"] for p in told)
    assert (tmp_path / "walk.jsonl").exists()


def test_anonymize_errors_raise_veil_error(tmp_path):
    with pytest.raises(veil.Error, match="no such file"):
        veil.anonymize(tmp_path / "missing.mp4", tmp_path / "out.mp4")
    with pytest.raises(TypeError):
        veil.anonymize(tmp_path / "missing.mp4", tmp_path / "out.mp4", codec_="h264")


def test_ctrl_c_stops_anonymize_within_a_second_and_leaves_nothing(clips, tmp_path):
    out = tmp_path / "long.mp4"
    script = textwrap.dedent(f"""
        import sys, veil
        def progress(p):
            if p["frame"] == 3:
                print("started", flush=True)
        try:
            veil.anonymize({str(clips / 'CarND-LaneLines-P1_solidWhiteRight.mp4')!r}, {str(out)!r},
                           progress=progress, sweep=1)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ)
    assert child.stdout.readline().strip() == "started"
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=30) == 130
    assert time.monotonic() - sent < 2.0
    assert child.stdout.read().strip() == "interrupted"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], "a temporary file was left"
