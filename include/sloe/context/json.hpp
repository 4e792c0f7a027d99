#pragma once

#include <nlohmann/json.hpp>

namespace sloe {

/// sloe's JSON value, nlohmann's: `c.json(200, {{"message", "pong"}})` is Gin's `gin.H`.
using json = nlohmann::json;

}  // namespace sloe
