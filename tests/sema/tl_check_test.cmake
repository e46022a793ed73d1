# `tl check --format=json` on a clean file (exit 0, `[]`) and on a file with a shape error
# (exit 1, a JSON array holding the E0403 diagnostic with its position).
execute_process(COMMAND ${TL} check --format=json ${CASES}/guide_forward_clean.tl
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clean file: exit ${rc}, want 0\n${out}${err}")
endif()
string(STRIP "${out}" out)
if(NOT out STREQUAL "[]")
  message(FATAL_ERROR "clean file: want [] on stdout, got\n${out}")
endif()
execute_process(COMMAND ${TL} check --format=json ${CASES}/matmul_inner_mismatch.tl
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "file with errors: exit ${rc}, want 1\n${out}${err}")
endif()
string(JSON n LENGTH "${out}")
if(n LESS 1)
  message(FATAL_ERROR "want at least one diagnostic, got\n${out}")
endif()
string(JSON code GET "${out}" 0 code)
string(JSON line GET "${out}" 0 line)
string(JSON sev GET "${out}" 0 severity)
if(NOT code STREQUAL "E0403" OR NOT sev STREQUAL "error" OR NOT line EQUAL 7)
  message(FATAL_ERROR "want error E0403 at line 7, got ${sev} ${code} at line ${line}\n${out}")
endif()
execute_process(COMMAND ${TL} check ${CASES}/matmul_inner_mismatch.tl
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "matmul_inner_mismatch.tl:7:[0-9]+: error")
  message(FATAL_ERROR "text mode: exit ${rc}, stderr\n${err}")
endif()
# Program arguments after the files (as `tl run` takes them): the model named by args()[0] gives
# the shapes, so model_from_args.tl has its E0403 only with them; more `.tl` files before them
# are still checked.
set(MODEL ${CASES}/../../../../shared/fixtures/llama/tiny_llama_s1_f16.gguf)
execute_process(COMMAND ${TL} check ${CASES}/guide_forward_clean.tl ${CASES}/model_from_args.tl
                        ${MODEL} Hello 16 --format=json
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT out MATCHES "\"E0403\"" OR NOT out MATCHES "model_from_args.tl")
  message(FATAL_ERROR "with args: exit ${rc}, want 1 and E0403\n${out}${err}")
endif()
execute_process(COMMAND ${TL} check ${CASES}/guide_forward_clean.tl ${CASES}/model_from_args.tl
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "without args: exit ${rc}, want 0\n${out}${err}")
endif()
