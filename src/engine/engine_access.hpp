#pragma once
// The engine's core for sloe's own code that drives it without a socket (testing::Client, the
// test helpers and fuzz targets): not part of the public Engine API.

#include "engine/engine_core.hpp"
#include "sloe/engine.hpp"

namespace sloe::detail {

struct EngineAccess {
  static EngineCore& core(Engine& app) { return *app.core_; }
};

}  // namespace sloe::detail
