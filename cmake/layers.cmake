# The layer rule of DESIGN.md ("Layers"), enforced by the compiler. Each folder of src/ is one
# OBJECT library that sees its own folder, the layers it USES (and what they see) and the public
# headers, and no other folder of src/. Sources include private headers by their path under src/
# ("http/session.hpp"), so a layer's include directory is not src/ but
# ${PROJECT_BINARY_DIR}/layers/<layer>/, holding one symlink per folder it may see: from src/net/,
# "engine/engine_core.hpp" is simply not found. tests/layers/ proves it.
#
# A relative path ("../engine/engine_core.hpp") would go around the links, and a header is only
# compiled in the view of the layers that include it: Layers.IncludesFollowTheViews reads every
# #include of src/ for those two cases.

# What every layer compiles with. The sloe target itself has no sources: it carries only what
# consumers need.
add_library(sloe_layer_settings INTERFACE)
# Asio lives in /usr/include: visible everywhere whatever we list, so no layer is denied it.
target_include_directories(sloe_layer_settings INTERFACE
  ${PROJECT_SOURCE_DIR}/include ${ASIO_INCLUDE_DIR})
target_compile_definitions(sloe_layer_settings INTERFACE ${SLOE_ASIO_DEFINITIONS}
  $<$<BOOL:${SLOE_LIFETIME_GUARD}>:SLOE_LIFETIME_GUARD=1>)
target_compile_features(sloe_layer_settings INTERFACE cxx_std_20)
target_compile_options(sloe_layer_settings INTERFACE -Wall -Wextra -Wpedantic)
target_link_libraries(sloe_layer_settings INTERFACE
  Threads::Threads fmt::fmt spdlog::spdlog nlohmann_json::nlohmann_json)

# sloe_layer_view(<target> <layer>): compile <target> as part of <layer>, with its settings and
# its view of src/ (the layer's own sources, and the probes of tests/layers/).
function(sloe_layer_view target layer)
  target_include_directories(${target} PRIVATE ${PROJECT_BINARY_DIR}/layers/${layer})
  get_property(folders GLOBAL PROPERTY SLOE_VIEW_${layer})
  foreach(folder IN LISTS folders)
    get_property(dirs GLOBAL PROPERTY SLOE_INCLUDES_${folder})
    target_include_directories(${target} PRIVATE ${dirs})
  endforeach()
  target_link_libraries(${target} PRIVATE sloe_layer_settings)
endfunction()

# sloe_add_layer(<folder> [USES <layer>...] [INCLUDES <dir>...]): the OBJECT library
# sloe_<folder> of src/<folder>/, appended to SLOE_LAYER_TARGETS. USES names the layers it
# includes directly, all added before this one, so the arrows cannot form a cycle; it sees what
# they see too, because their headers include those. INCLUDES are third-party include
# directories that the folder's headers need: they come with the folder to every layer that
# sees it.
function(sloe_add_layer layer)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "USES;INCLUDES")
  set(view ${PROJECT_BINARY_DIR}/layers/${layer})
  # Rebuilt on every configure, so that a folder dropped from USES disappears. REMOVE_RECURSE
  # deletes the links, never what they point to.
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view})
  set(folders ${layer})
  foreach(used IN LISTS arg_USES)
    if(NOT TARGET sloe_${used})
      message(FATAL_ERROR "sloe_add_layer(${layer}): ${used} is not a layer added above it")
    endif()
    get_property(used_view GLOBAL PROPERTY SLOE_VIEW_${used})
    list(APPEND folders ${used_view})
  endforeach()
  list(REMOVE_DUPLICATES folders)
  foreach(folder IN LISTS folders)
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${folder} ${view}/${folder} SYMBOLIC)
  endforeach()
  set_property(GLOBAL PROPERTY SLOE_VIEW_${layer} ${folders})
  set_property(GLOBAL PROPERTY SLOE_INCLUDES_${layer} ${arg_INCLUDES})

  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${layer}/*.cpp)
  add_library(sloe_${layer} OBJECT ${sources})
  sloe_layer_view(sloe_${layer} ${layer})
  if(BUILD_SHARED_LIBS)
    set_target_properties(sloe_${layer} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  set(SLOE_LAYER_TARGETS ${SLOE_LAYER_TARGETS} sloe_${layer} PARENT_SCOPE)
endfunction()
# Every folder of src/ must be a layer: otherwise its sources would silently stay out of sloe.
function(sloe_check_layers)
  file(GLOB entries LIST_DIRECTORIES true CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*)
  foreach(entry IN LISTS entries)
    get_filename_component(name ${entry} NAME)
    if(NOT IS_DIRECTORY ${entry} OR NOT TARGET sloe_${name})
      message(FATAL_ERROR "src/${name} is not in a layer: give it a sloe_add_layer() line in "
                          "CMakeLists.txt (sources live in src/<layer>/)")
    endif()
  endforeach()
endfunction()
