# Writes cs_version.h with the project version and `git describe`, only when it changed.
execute_process(COMMAND git -C ${SRC} describe --always --dirty --tags
                OUTPUT_VARIABLE DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE RC)
if(NOT RC EQUAL 0 OR DESCRIBE STREQUAL "")
  set(DESCRIBE "unknown")
endif()
set(TEXT "#define CS_VERSION \"${VERSION}\"\n#define CS_GIT_DESCRIBE \"${DESCRIBE}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} OLD)
else()
  set(OLD "")
endif()
if(NOT OLD STREQUAL TEXT)
  file(WRITE ${OUT} "${TEXT}")
endif()
