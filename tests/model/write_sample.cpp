// Writes the sample file that tests/model/read_safetensors.py checks with its own reader:
//   weight [3, 5] = f16(i * 0.37f - 2.0f), bias [3] = {1, +inf, smallest subnormal},
//   scalar [] = -0.0, empty [0, 4]; metadata {"writer": "tl"}.
#include <cstdio>
#include <exception>

#include "vm/model/model.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tl_model_write_sample OUT.safetensors\n");
    return 2;
  }
  std::vector<tl::f16_bits> weight;
  for (int i = 0; i < 15; ++i)
    weight.push_back(tl::f32_to_f16(static_cast<float>(i) * 0.37f - 2.0f));
  const std::vector<tl::f16_bits> bias = {0x3c00, 0x7c00, 0x0001}, scalar = {0x8000}, empty;
  const std::vector<tl::NamedTensorF16> tensors = {{"weight", tl::Shape{3, 5}, weight},
                                                   {"bias", tl::Shape{3}, bias},
                                                   {"scalar", tl::Shape{}, scalar},
                                                   {"empty", tl::Shape{0, 4}, empty}};
  try {
    tl::save_safetensors(argv[1], tensors, {{"writer", "tl"}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
