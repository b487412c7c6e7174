#include "veil/core/detection.hpp"

namespace veil {

std::string_view to_string(ObjectClass c) {
  switch (c) {
    case ObjectClass::kFace: return "face";
    case ObjectClass::kPlate: return "plate";
    case ObjectClass::kPerson: return "person";
    case ObjectClass::kVehicle: return "vehicle";
  }
  return "unknown";
}

std::optional<ObjectClass> parse_object_class(std::string_view name) {
  if (name == "face") return ObjectClass::kFace;
  if (name == "plate") return ObjectClass::kPlate;
  return std::nullopt;
}

std::optional<ObjectClass> parse_context_class(std::string_view name) {
  if (name == "person") return ObjectClass::kPerson;
  if (name == "vehicle") return ObjectClass::kVehicle;
  return std::nullopt;
}

}  // namespace veil
