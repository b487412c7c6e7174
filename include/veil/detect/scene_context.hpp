#pragma once
// Precision from context: a weak face or plate candidate is kept only when
// something around it makes it plausible. Textures (leaves, branches,
// barrier tape) fire face and plate detectors at low scores; real faces
// belong to people (or sit behind a windscreen) and real plates to
// vehicles. Strong candidates are never dropped. The thresholds come from
// measured curves (docs/recall.md, "Scene context").
namespace veil {

enum class ContextMode {
  kOff,   // no context model; every candidate over its model's threshold is hidden
  kMark,  // people and vehicles are found and reported, nothing is dropped
  kOn,    // and weak candidates without support are dropped
};

struct SupportOptions {
  // A face scoring under this (its best model's score) needs support: a
  // grown person or vehicle box around it, a second face model's box on
  // it, a confirmed face beside it (crowd_distance), or a track (earlier
  // sightings) it continues.
  float face_below = 0.7f;
  // A plate scoring under this needs a grown vehicle box around it, a
  // second plate model's box on it, or a track it continues.
  float plate_below = 0.75f;
  // Context boxes are grown by this fraction of their width and height on
  // each side before asking whether a candidate lies inside: a person box
  // may stop at the shoulders of a head turned away, a vehicle box at a
  // bumper's plate.
  float person_grow = 0.2f;
  float vehicle_grow = 0.1f;
  // A candidate lies inside a grown box when this share of its own box does.
  float min_inside = 0.5f;
  // Absence of context counts only where the context model shows it works
  // on this view: a frame with no person or vehicle scoring at least this
  // keeps every candidate. The small COCO model does not recognise cars
  // seen from above (a parking lot filmed by a drone: its best vehicle
  // score there is 0.03), and their plates must not go with them.
  float scene_seen = 0.5f;
  // Faces among faces: the back rows of a crowd are heads without a body
  // the context model can see. A weak face is supported by a confirmed
  // face (strong, or found by two models) of about its size (within a
  // factor 2) whose centre is at most this many of the weak face's
  // heights from its own (0: no crowd support).
  float crowd_distance = 3.f;
};

}  // namespace veil
