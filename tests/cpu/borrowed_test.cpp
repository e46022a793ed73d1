// Weights mapped from a model file are used in place (upload_borrowed): no copy, the owner kept
// alive by the tensor, and never written: slice assignment into one copies first.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "vm/core/error.h"
#include "vm/core/half.h"
#include "vm/cpu/cpu_backend.h"

namespace tl::cpu_test {
namespace {

std::vector<f16_bits> halves(std::initializer_list<float> xs) {
  std::vector<f16_bits> v;
  for (float x : xs) v.push_back(f32_to_f16(x));
  return v;
}

TEST(Borrowed, KeepsThePointerAndTheOwnerAlive) {
  CpuBackend be;
  auto owner = std::make_shared<std::vector<f16_bits>>(halves({1, 2, 3, 4, 5, 6}));
  const auto bytes = std::as_bytes(std::span<const f16_bits>(*owner));
  std::weak_ptr<std::vector<f16_bits>> watch = owner;
  Tensor t = be.upload_borrowed({2, 3}, DType::F16, bytes, owner);
  owner.reset();
  ASSERT_FALSE(watch.expired()) << "the tensor must keep its memory's owner alive";
  EXPECT_EQ(static_cast<const CpuBuffer&>(*t.buffer).data(), bytes.data()) << "copied";
  EXPECT_FALSE(be.sole_owner(t)) << "a borrowed buffer must never be written in place";
  std::vector<f16_bits> out(6);
  be.download(be.binary_scalar(BinaryOp::Mul, t, 2.0f, false), out);
  EXPECT_EQ(out, halves({2, 4, 6, 8, 10, 12}));
  t = Tensor{};
  EXPECT_TRUE(watch.expired()) << "the owner must be released with the last tensor";
}

TEST(Borrowed, QuantizedRowsAreBorrowedToo) {
  CpuBackend be;
  auto owner = std::make_shared<std::vector<std::byte>>(34);  // one Q8_0 block: scale 0, zeros
  Tensor t = be.upload_borrowed({1, 32}, DType::Q8_0, *owner, owner);
  EXPECT_EQ(static_cast<const CpuBuffer&>(*t.buffer).data(), owner->data());
  std::vector<f16_bits> out(32);
  be.download(t, out);
  EXPECT_EQ(out, std::vector<f16_bits>(32, f32_to_f16(0.0f)));
}

TEST(Borrowed, ChecksLikeUploadAndCopiesWhatItCannotBorrow) {
  CpuBackend be;
  auto owner = std::make_shared<std::vector<std::byte>>(16);
  EXPECT_THROW(be.upload_borrowed({2, 3}, DType::F16, std::span(*owner).first(10), owner),
               RuntimeError);
  EXPECT_THROW(be.upload_borrowed({4}, DType::F32, *owner, owner), RuntimeError);
  // f16 at an odd address: copied (and still correct), never read misaligned.
  Tensor odd = be.upload_borrowed({2}, DType::F16, std::span(*owner).subspan(1, 4), owner);
  EXPECT_NE(static_cast<const CpuBuffer&>(*odd.buffer).data(), owner->data() + 1);
  EXPECT_TRUE(be.sole_owner(odd));
  // Without an owner there is nothing to keep the memory alive: copied.
  Tensor orphan = be.upload_borrowed({2}, DType::F16, std::span(*owner).first(4), nullptr);
  EXPECT_NE(static_cast<const CpuBuffer&>(*orphan.buffer).data(), owner->data());
}

}  // namespace
}  // namespace tl::cpu_test
