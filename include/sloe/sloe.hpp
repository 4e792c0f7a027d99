#pragma once
// Everything a sloe application needs: `#include <sloe/sloe.hpp>`.

#include "sloe/context/context.hpp"
#include "sloe/context/context_copy.hpp"
#include "sloe/context/handler.hpp"
#include "sloe/context/json.hpp"
#include "sloe/engine.hpp"
#include "sloe/errors.hpp"
#include "sloe/log_escape.hpp"
#include "sloe/metrics/metric.hpp"
#include "sloe/metrics/registry.hpp"
#include "sloe/middleware/logger.hpp"
#include "sloe/middleware/metrics.hpp"
#include "sloe/middleware/recovery.hpp"
#include "sloe/options.hpp"
#include "sloe/router/router_group.hpp"
