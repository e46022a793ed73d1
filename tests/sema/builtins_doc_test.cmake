# Regenerates docs/builtins.md into OUT and compares it with the committed DOC.
execute_process(COMMAND ${GEN} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tl_gen_builtins_md failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${DOC} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "docs/builtins.md is stale: run `build/bin/tl_gen_builtins_md > docs/builtins.md`")
endif()
