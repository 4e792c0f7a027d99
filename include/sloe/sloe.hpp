#pragma once
// Everything a sloe application needs: `#include <sloe/sloe.hpp>`.

#include "sloe/auth/basic_auth.hpp"
#include "sloe/auth/bearer_auth.hpp"
#include "sloe/auth/jwt.hpp"
#include "sloe/context/context.hpp"
#include "sloe/context/context_copy.hpp"
#include "sloe/context/handler.hpp"
#include "sloe/context/json.hpp"
#include "sloe/engine.hpp"
#include "sloe/errors.hpp"
#include "sloe/log_escape.hpp"
#include "sloe/middleware/cors.hpp"
#include "sloe/middleware/gzip.hpp"
#include "sloe/middleware/logger.hpp"
#include "sloe/middleware/recovery.hpp"
#include "sloe/options.hpp"
#include "sloe/router/router_group.hpp"
