// Prints the faces and plates Veil finds in one photo, as JSON:
// {"detections": [{"class": "face", "box": [x, y, w, h], "score": s}, ...]}
#include <veil/veil.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: detect PHOTO\n");
    return 2;
  }
  try {
    const veil::Picture photo = veil::read_picture(argv[1]);
    const veil::ObjectDetector detector;  // the default models, from VEIL_MODEL_DIR or the cache
    nlohmann::json out = {{"detections", nlohmann::json::array()}};
    for (const veil::FoundObject& f : detector.detect(photo.view())) {
      out["detections"].push_back(
          {{"class", f.cls}, {"box", {f.box.x, f.box.y, f.box.width, f.box.height}}, {"score", f.score}});
    }
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const veil::Error& e) {
    std::fprintf(stderr, "detect: %s\n", e.what());
    return 1;
  }
}
