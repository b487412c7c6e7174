#include "veil/redact/redactor.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace veil {

std::optional<RedactMode> parse_redact_mode(std::string_view s) {
  if (s == "blur") return RedactMode::kBlur;
  if (s == "pixelate") return RedactMode::kPixelate;
  if (s == "fill") return RedactMode::kFill;
  if (s == "none") return RedactMode::kNone;
  return std::nullopt;
}

std::optional<MaskShape> parse_mask_shape(std::string_view s) {
  if (s == "auto") return MaskShape::kAuto;
  if (s == "ellipse") return MaskShape::kEllipse;
  if (s == "box") return MaskShape::kBox;
  return std::nullopt;
}

namespace {

cv::Rect2f scaled(const cv::Rect2f& r, float s) {
  float w = r.width * s, h = r.height * s;
  return {r.x + r.width / 2 - w / 2, r.y + r.height / 2 - h / 2, w, h};
}

// Pixel-aligned rectangle that contains `r`, clipped to the image.
cv::Rect enclosing(const cv::Rect2f& r, const cv::Size& size) {
  int x0 = static_cast<int>(std::floor(r.x)), y0 = static_cast<int>(std::floor(r.y));
  int x1 = static_cast<int>(std::ceil(r.x + r.width)), y1 = static_cast<int>(std::ceil(r.y + r.height));
  return cv::Rect(cv::Point(x0, y0), cv::Point(x1, y1)) & cv::Rect(cv::Point(0, 0), size);
}

// Replaces `roi` with a version that keeps at most `blocks` samples across
// its longer side. Averaging into so few cells is many-to-one, so unlike a
// plain Gaussian blur it cannot be undone by deconvolution.
void coarsen(cv::Mat& roi, int blocks, bool smooth) {
  int longest = std::max(roi.cols, roi.rows);
  double f = std::min(1.0, static_cast<double>(blocks) / longest);
  cv::Size small(std::max(1, static_cast<int>(std::lround(roi.cols * f))),
                 std::max(1, static_cast<int>(std::lround(roi.rows * f))));
  cv::Mat tiny;
  cv::resize(roi, tiny, small, 0, 0, cv::INTER_AREA);
  cv::Mat back;
  cv::resize(tiny, back, roi.size(), 0, 0, smooth ? cv::INTER_LINEAR : cv::INTER_NEAREST);
  if (smooth) {
    // Soften the remaining low-frequency pattern so the result reads as blur.
    int k = (std::max(3, longest / blocks) | 1);
    cv::GaussianBlur(back, back, cv::Size(k, k), 0);
  }
  back.copyTo(roi);
}

// The shape apply() hides for one detection, in image coordinates.
struct MaskGeometry {
  std::vector<cv::Point2f> polygon;  // used when non-empty
  cv::Rect2f ellipse_or_box;
  bool ellipse = false;

  cv::Rect2f bounds() const {
    if (polygon.empty()) return ellipse_or_box;
    cv::Point2f lo = polygon[0], hi = polygon[0];
    for (const auto& p : polygon) {
      lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
      hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
    }
    return {lo, hi};
  }
};

MaskGeometry shape_for(const Detection& d, const RedactOptions& o) {
  bool plate = d.cls == ObjectClass::kPlate;
  float s = plate ? o.plate_mask_scale : o.face_mask_scale;
  if (!plate && d.box.height < o.small_face_height) {
    float t = std::min(1.f, (o.small_face_height - d.box.height) / (o.small_face_height - 10.f));
    s += o.small_face_extra * t;
    if (d.box.height > 0.f) s = std::max(s, o.min_face_mask_height / d.box.height);
  }
  MaskShape shape = o.shape;
  if (shape == MaskShape::kAuto) shape = (plate && d.corners.size() == 4) ? MaskShape::kBox : MaskShape::kEllipse;
  MaskGeometry g;
  if (plate && d.corners.size() == 4 && shape == MaskShape::kBox) {
    // Follow the plate: its outline grown about the centroid.
    cv::Point2f c(0, 0);
    for (const auto& p : d.corners) c += p;
    c *= 0.25f;
    for (const auto& p : d.corners) g.polygon.push_back(c + (p - c) * s);
    return g;
  }
  g.ellipse_or_box = scaled(d.box, s);
  g.ellipse = shape == MaskShape::kEllipse;
  return g;
}

// The shapes whose union apply() hides for one detection: its own and, for
// an object several models found, each model's (Detection::found_by).
std::vector<MaskGeometry> geometry_for(const Detection& d, const RedactOptions& o) {
  std::vector<MaskGeometry> shapes{shape_for(d, o)};
  for (const Sighting& s : d.found_by) {
    if (s.box == d.box && s.corners == d.corners) continue;  // the same shape again
    Detection member = d;
    member.box = s.box;
    member.corners = s.corners;
    member.found_by.clear();
    shapes.push_back(shape_for(member, o));
  }
  return shapes;
}

cv::Rect2f bounds_of(const std::vector<MaskGeometry>& shapes) {
  cv::Rect2f b = shapes.front().bounds();
  for (const MaskGeometry& g : shapes) b |= g.bounds();
  return b;
}

// Draws `g` into `mask`, whose top-left pixel is at `origin` in the image.
void draw_geometry(cv::Mat& mask, const MaskGeometry& g, cv::Point2f origin) {
  if (!g.polygon.empty()) {
    std::vector<cv::Point> poly;
    for (const auto& p : g.polygon) {
      poly.emplace_back(static_cast<int>(std::lround(p.x - origin.x)), static_cast<int>(std::lround(p.y - origin.y)));
    }
    cv::fillConvexPoly(mask, poly, cv::Scalar(255), cv::LINE_8);
    return;
  }
  cv::Rect2f r = g.ellipse_or_box;
  r.x -= origin.x;
  r.y -= origin.y;
  if (g.ellipse) {
    cv::ellipse(mask, cv::RotatedRect(cv::Point2f(r.x + r.width / 2, r.y + r.height / 2), r.size(), 0),
                cv::Scalar(255), cv::FILLED, cv::LINE_8);
  } else {
    cv::rectangle(mask, enclosing(r, mask.size()), cv::Scalar(255), cv::FILLED);
  }
}

}  // namespace

void Redactor::draw_mask(cv::Mat& mask, const Detection& d) const {
  for (const MaskGeometry& g : geometry_for(d, options_)) draw_geometry(mask, g, {0, 0});
}

namespace {

// The pixels redact_one() reads and changes for `g` in an image of `size`.
// Rasterising can reach a pixel past the shape's float bounds; the margin
// keeps the drawn mask identical to draw_mask() on a full-size image.
cv::Rect working_area(const std::vector<MaskGeometry>& shapes, cv::Size size) {
  const cv::Rect2f b = bounds_of(shapes);
  return enclosing(cv::Rect2f(b.x - 2, b.y - 2, b.width + 4, b.height + 4), size);
}

}  // namespace

std::vector<cv::Rect> Redactor::changed_areas(const Detections& detections, cv::Size frame) const {
  std::vector<cv::Rect> areas;
  if (options_.mode == RedactMode::kNone) return areas;
  for (const auto& d : detections) {
    cv::Rect a = working_area(geometry_for(d, options_), frame);
    if (a.empty()) continue;
    const cv::Point p0(a.x & ~1, a.y & ~1);
    const cv::Point p1(std::min(frame.width, (a.x + a.width + 1) & ~1), std::min(frame.height, (a.y + a.height + 1) & ~1));
    areas.emplace_back(p0, p1);
  }
  // Merge until no two overlap: a pixel belongs to one area only.
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t i = 0; i < areas.size() && !merged; ++i) {
      for (std::size_t j = i + 1; j < areas.size(); ++j) {
        if ((areas[i] & areas[j]).empty()) continue;
        areas[i] |= areas[j];
        areas.erase(areas.begin() + std::ptrdiff_t(j));
        merged = true;
        break;
      }
    }
  }
  return areas;
}

void Redactor::apply_to_area(cv::Mat& patch, const cv::Rect& area, const Detections& detections) const {
  if (options_.mode == RedactMode::kNone) return;
  for (const auto& d : detections) redact_one(patch, area.tl(), d);
}

void Redactor::redact_one(cv::Mat& bgr, cv::Point origin, const Detection& d) const {
  // Work inside the mask's bounding rectangle only: frames are large, objects
  // small. The geometry stays in frame coordinates whatever part of the frame
  // `bgr` holds, so that a patch gets exactly the whole frame's pixels.
  const std::vector<MaskGeometry> shapes = geometry_for(d, options_);
  const cv::Rect held(origin, bgr.size());
  const cv::Rect area = working_area(shapes, cv::Size(held.br().x, held.br().y)) & held;
  if (area.empty()) return;
  cv::Mat mask = cv::Mat::zeros(area.size(), CV_8U);
  for (const MaskGeometry& g : shapes) {
    draw_geometry(mask, g, cv::Point2f(static_cast<float>(area.x), static_cast<float>(area.y)));
  }
  cv::Mat roi = bgr(area - origin);
  switch (options_.mode) {
    case RedactMode::kNone:
      return;
    case RedactMode::kFill:
      roi.setTo(options_.fill_color, mask);
      return;
    case RedactMode::kPixelate:
    case RedactMode::kBlur: {
      cv::Mat hidden = roi.clone();
      int longest = std::max(area.width, area.height);
      int blocks = kMaxBlocksAcross;
      if (options_.mode == RedactMode::kPixelate && options_.block_size > 0) {
        blocks = std::clamp(longest / options_.block_size, 1, kMaxBlocksAcross);
      }
      coarsen(hidden, blocks, options_.mode == RedactMode::kBlur);
      hidden.copyTo(roi, mask);
      return;
    }
  }
}

void Redactor::apply(cv::Mat& bgr, const Detections& detections) const {
  if (options_.mode == RedactMode::kNone) return;
  for (const auto& d : detections) redact_one(bgr, cv::Point(0, 0), d);
}

}  // namespace veil
