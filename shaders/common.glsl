// Shared by every kernel: f16 storage, f32 arithmetic. Included with #include "common.glsl".
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_control_flow_attributes : enable
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require

// Grid-stride loops: element-wise kernels are dispatched with at most kMaxGroups groups in x
// (the host caps it) and each invocation walks the rest.
#define GLOBAL_STRIDE (gl_NumWorkGroups.x * gl_WorkGroupSize.x)

const float kInf = 1.0 / 0.0;
