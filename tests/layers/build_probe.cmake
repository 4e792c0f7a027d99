# cmake -DBUILD_DIR=<build> -DTARGET=<probe> -DHEADER=<header> -DEXPECT=compiles|refused -P ...
# Builds one probe of tests/layers/CMakeLists.txt. `refused` passes only when the build failed
# because HEADER was not found (GCC: "No such file", clang: "file not found"), not for another
# reason.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(REPLACE "." "\\." header_re "${HEADER}")
if(EXPECT STREQUAL "compiles")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TARGET} should compile but did not:\n${out}")
  endif()
  message("${TARGET}: compiled, as expected")
elseif(EXPECT STREQUAL "refused")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${TARGET} compiled: the layer can see ${HEADER}\n${out}")
  endif()
  if(NOT out MATCHES "${header_re}: No such file|'${header_re}' file not found")
    message(FATAL_ERROR "${TARGET} failed, but not because ${HEADER} was not found:\n${out}")
  endif()
  message("${TARGET}: refused, ${HEADER} not found, as expected")
else()
  message(FATAL_ERROR "EXPECT must be 'compiles' or 'refused', not '${EXPECT}'")
endif()
