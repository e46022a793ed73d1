# `tl check docs/examples/llama.tl MODEL "Hello" 4` with the tiny Llama: clean. A copy with a wrong
# matmul inside `forward` is reported at that line, once, with notes at the calls that reveal it
# (forward from warm_up, warm_up from main); without the arguments the shapes inside forward
# are unknown and nothing is reported. usage: -DTL=... -DLLAMA=llama.tl -DMODEL=x.gguf -DWORK=dir
execute_process(COMMAND ${TL} check ${LLAMA} ${MODEL} Hello 4
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "llama.tl with the model: exit ${rc}, want 0\n${out}${err}")
endif()

file(READ ${LLAMA} text)
set(right "x = x + linear(gate, layer.ffn_down.weight)")
set(wrong "x = x + gate @ layer.ffn_down.weight")
string(REPLACE "${right}" "${wrong}" broken "${text}")
if(broken STREQUAL text)
  message(FATAL_ERROR "`${right}` is no longer in llama.tl: break another line of forward")
endif()
file(WRITE ${WORK}/llama_broken.tl "${broken}")
string(FIND "${broken}" "${wrong}" at)
string(SUBSTRING "${broken}" 0 ${at} before)
string(REGEX MATCHALL "\n" newlines "${before}")
list(LENGTH newlines line)
math(EXPR line "${line} + 1")

execute_process(COMMAND ${TL} check --format=json ${WORK}/llama_broken.tl ${MODEL} Hello 4
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "broken copy with the model: exit ${rc}, want 1\n${out}${err}")
endif()
string(JSON n LENGTH "${out}")
string(JSON code GET "${out}" 0 code)
string(JSON got_line GET "${out}" 0 line)
if(NOT n EQUAL 1 OR NOT code STREQUAL "E0403" OR NOT got_line EQUAL line)
  message(FATAL_ERROR "want one E0403 at line ${line}, got ${n}: ${code} at ${got_line}\n${out}")
endif()
string(JSON notes LENGTH "${out}" 0 notes)
set(all_notes "")
math(EXPR last "${notes} - 1")
foreach(i RANGE ${last})
  string(JSON note GET "${out}" 0 notes ${i} message)
  string(APPEND all_notes "${note}\n")
endforeach()
# The first call chain that reaches forward: main -> warm_up -> forward (generate's calls reuse
# that check, and the diagnostic is reported once).
if(NOT all_notes MATCHES "in `forward` called here with m: Model\\(" OR
   NOT all_notes MATCHES "in `warm_up` called here")
  message(FATAL_ERROR "want notes at the calls of forward and warm_up, got\n${all_notes}")
endif()

execute_process(COMMAND ${TL} check ${WORK}/llama_broken.tl
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "broken copy without arguments: exit ${rc}, want 0 (shapes unknown)\n${out}${err}")
endif()
