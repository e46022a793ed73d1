#include "vm/bytecode/tlbc_file.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "vm/bytecode/verifier.h"
#include "vm/core/atomic_file.h"
#include "vm/core/error.h"

namespace tl {
namespace {

constexpr auto kCrcTable = [] {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}();

enum SectionId : uint32_t { kConstants = 1, kFunctions = 2, kCode = 3, kDebug = 4, kSources = 5 };
constexpr uint32_t kHeaderSize = 20;
constexpr uint16_t kFlagDebug = 1;

class Writer {
 public:
  void u8(uint8_t v) { b_.push_back(v); }
  void u16(uint16_t v) { u8(v & 0xff), u8(v >> 8); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    b_.insert(b_.end(), s.begin(), s.end());
  }
  void varint(uint64_t v) {
    while (v >= 0x80) u8(static_cast<uint8_t>(v | 0x80)), v >>= 7;
    u8(static_cast<uint8_t>(v));
  }
  std::vector<uint8_t>& bytes() { return b_; }

 private:
  std::vector<uint8_t> b_;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> b, size_t base, const char* what)
      : b_(b), base_(base), what_(what) {}
  [[noreturn]] void fail(const std::string& msg) const {
    throw FormatError(fmt::format("at byte {} ({} section): {}", base_ + pos_, what_, msg));
  }
  void need(size_t n) {
    if (n > b_.size() - pos_)
      fail(fmt::format("truncated: need {} more bytes, {} left", n, b_.size() - pos_));
  }
  uint8_t u8() {
    need(1);
    return b_[pos_++];
  }
  uint16_t u16() {
    need(2);
    uint16_t v = static_cast<uint16_t>(b_[pos_] | (b_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(b_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return v;
  }
  uint64_t u64() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }
  std::string str() {
    uint32_t n = u32();
    need(n);
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte = u8();
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail("varint too long");
  }
  // A count of items of at least `min_size` bytes each, bounded by what is left.
  uint32_t count(size_t min_size, const char* items) {
    uint32_t n = u32();
    if (static_cast<uint64_t>(n) * min_size > b_.size() - pos_)
      fail(fmt::format("{} {} cannot fit in the {} bytes left", n, items, b_.size() - pos_));
    return n;
  }
  bool done() const { return pos_ == b_.size(); }
  void expect_end() {
    if (!done()) fail(fmt::format("{} unexpected trailing bytes", b_.size() - pos_));
  }

 private:
  std::span<const uint8_t> b_;
  size_t base_;
  size_t pos_ = 0;
  const char* what_;
};

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace

uint32_t crc32(std::span<const uint8_t> data) {
  uint32_t c = 0xffffffffu;
  for (uint8_t byte : data) c = kCrcTable[(c ^ byte) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::vector<uint8_t> write_module(const Module& m) {
  Writer consts, funcs, code, debug, sources;
  consts.u32(static_cast<uint32_t>(m.constants.size()));
  for (const Constant& k : m.constants) {
    consts.u8(static_cast<uint8_t>(const_kind(k)));
    switch (const_kind(k)) {
      case ConstKind::Int:
        consts.u64(static_cast<uint64_t>(std::get<int64_t>(k)));
        break;
      case ConstKind::Float:
        consts.u64(std::bit_cast<uint64_t>(std::get<double>(k)));
        break;
      case ConstKind::String:
        consts.str(std::get<std::string>(k));
        break;
      case ConstKind::Shape: {
        const auto& d = std::get<ShapeConst>(k).dims;
        consts.u32(static_cast<uint32_t>(d.size()));
        for (int64_t x : d) consts.u64(static_cast<uint64_t>(x));
        break;
      }
      case ConstKind::Elementwise: {
        // u8 input count, one u8 kind per input, u16 step count, 6 bytes per step.
        const auto& p = std::get<ElementwiseProgram>(k);
        consts.u8(static_cast<uint8_t>(p.inputs.size()));
        for (auto in : p.inputs) consts.u8(static_cast<uint8_t>(in));
        consts.u16(static_cast<uint16_t>(p.steps.size()));
        for (const auto& s : p.steps) {
          consts.u8(static_cast<uint8_t>(s.kind));
          consts.u8(s.op);
          consts.u16(s.a);
          consts.u16(s.b);
        }
        break;
      }
    }
  }
  bool has_debug = false;
  for (const Proto& p : m.functions) has_debug |= !p.lines.empty();
  funcs.u32(static_cast<uint32_t>(m.functions.size()));
  funcs.u32(m.entry);
  funcs.u32(m.num_globals);
  uint32_t code_at = 0;
  for (const Proto& p : m.functions) {
    funcs.str(p.name);
    funcs.u8(p.num_params);
    funcs.u8(p.num_regs);
    funcs.u16(p.num_spills);
    funcs.u32(p.source);
    funcs.u32(code_at);
    funcs.u32(static_cast<uint32_t>(p.code.size()));
    for (Instr i : p.code) code.u32(i);
    code_at += static_cast<uint32_t>(p.code.size());
    uint32_t debug_at = static_cast<uint32_t>(debug.bytes().size());
    int64_t prev = 0;
    for (const SourcePos& pos : p.lines) {
      debug.varint(zigzag(static_cast<int64_t>(pos.line) - prev));
      debug.varint(pos.col);
      prev = pos.line;
    }
    funcs.u32(debug_at);
    funcs.u32(static_cast<uint32_t>(debug.bytes().size()) - debug_at);
  }
  sources.u32(static_cast<uint32_t>(m.sources.size()));
  for (const auto& s : m.sources) sources.str(s);

  std::vector<std::pair<uint32_t, std::vector<uint8_t>*>> sections = {
      {kConstants, &consts.bytes()}, {kFunctions, &funcs.bytes()}, {kCode, &code.bytes()}};
  if (has_debug) sections.push_back({kDebug, &debug.bytes()});
  sections.push_back({kSources, &sources.bytes()});

  Writer out;
  for (char ch : std::string_view("TLBC")) out.u8(static_cast<uint8_t>(ch));
  out.u16(kTlbcVersion);
  out.u16(has_debug ? kFlagDebug : 0);
  out.u32(0);  // CRC, patched below
  out.u32(0);  // file size, patched below
  out.u32(static_cast<uint32_t>(sections.size()));
  uint32_t offset = kHeaderSize + 12 * static_cast<uint32_t>(sections.size());
  for (auto& [id, bytes] : sections) {
    out.u32(id);
    out.u32(offset);
    out.u32(static_cast<uint32_t>(bytes->size()));
    offset += static_cast<uint32_t>(bytes->size());
  }
  for (auto& [id, bytes] : sections)
    out.bytes().insert(out.bytes().end(), bytes->begin(), bytes->end());
  auto& b = out.bytes();
  uint32_t size = static_cast<uint32_t>(b.size());
  for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<uint8_t>(size >> (8 * i));
  uint32_t crc = crc32(std::span<const uint8_t>(b).subspan(12));
  for (int i = 0; i < 4; ++i) b[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
  return b;
}

Module read_module(std::span<const uint8_t> bytes) {
  Reader h(bytes, 0, "header");
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "TLBC", 4) != 0)
    throw FormatError("not a TL bytecode file (bad magic; expected \"TLBC\")");
  h.u32();
  uint16_t version = h.u16();
  if (version != kTlbcVersion)
    throw FormatError(fmt::format(
        "unsupported bytecode format version {} (this VM reads {}): compile the .tl file again "
        "with this toolchain's `tl compile`",
        version, kTlbcVersion));
  uint16_t flags = h.u16();
  if (flags & ~kFlagDebug) h.fail(fmt::format("unknown flags 0x{:x}", flags));
  uint32_t crc = h.u32();
  uint32_t size = h.u32();
  if (size != bytes.size())
    throw FormatError(fmt::format(
        "file size mismatch: header says {} bytes, file has {} (truncated?)", size, bytes.size()));
  if (crc32(bytes.subspan(12)) != crc)
    throw FormatError("checksum mismatch: the file is corrupted");
  uint32_t nsections = h.count(12, "sections");
  std::span<const uint8_t> sec[6];
  bool seen[6] = {};
  size_t table_end = kHeaderSize + 12 * static_cast<size_t>(nsections);
  for (uint32_t i = 0; i < nsections; ++i) {
    uint32_t id = h.u32(), off = h.u32(), len = h.u32();
    if (id < 1 || id > 5) h.fail(fmt::format("unknown section id {}", id));
    if (seen[id]) h.fail(fmt::format("duplicate section {}", id));
    if (off < table_end || off > bytes.size() || len > bytes.size() - off)
      h.fail(fmt::format("section {} (offset {}, size {}) outside the file", id, off, len));
    seen[id] = true;
    sec[id] = bytes.subspan(off, len);
  }
  for (uint32_t id : {kConstants, kFunctions, kCode, kSources})
    if (!seen[id]) throw FormatError(fmt::format("missing section {}", id));
  if (seen[kDebug] != bool(flags & kFlagDebug))
    throw FormatError("debug flag and debug section disagree");
  auto base = [&](uint32_t id) { return static_cast<size_t>(sec[id].data() - bytes.data()); };

  Module m;
  Reader c(sec[kConstants], base(kConstants), "constants");
  uint32_t nconst = c.count(5, "constants");
  m.constants.reserve(nconst);
  for (uint32_t i = 0; i < nconst; ++i) {
    uint8_t kind = c.u8();
    switch (kind) {
      case 0:
        m.constants.emplace_back(static_cast<int64_t>(c.u64()));
        break;
      case 1:
        m.constants.emplace_back(std::bit_cast<double>(c.u64()));
        break;
      case 2:
        m.constants.emplace_back(c.str());
        break;
      case 3: {
        uint32_t rank = c.count(8, "dims");
        ShapeConst s;
        for (uint32_t d = 0; d < rank; ++d) s.dims.push_back(static_cast<int64_t>(c.u64()));
        m.constants.emplace_back(std::move(s));
        break;
      }
      case 4: {  // well-formedness is the verifier's (validate()); here only the layout
        ElementwiseProgram p;
        const uint8_t ninputs = c.u8();
        c.need(ninputs);
        for (uint8_t k = 0; k < ninputs; ++k)
          p.inputs.push_back(static_cast<ElementwiseProgram::InputKind>(c.u8()));
        const uint16_t nsteps = c.u16();
        c.need(6 * static_cast<size_t>(nsteps));
        for (uint16_t k = 0; k < nsteps; ++k) {
          ElementwiseProgram::Step s;
          s.kind = static_cast<ElementwiseProgram::StepKind>(c.u8());
          s.op = c.u8();
          s.a = c.u16();
          s.b = c.u16();
          p.steps.push_back(s);
        }
        m.constants.emplace_back(std::move(p));
        break;
      }
      default:
        c.fail(fmt::format("unknown constant kind {}", kind));
    }
  }
  c.expect_end();

  Reader s(sec[kSources], base(kSources), "sources");
  uint32_t nsrc = s.count(4, "file names");
  for (uint32_t i = 0; i < nsrc; ++i) m.sources.push_back(s.str());
  s.expect_end();

  if (sec[kCode].size() % 4 != 0)
    throw FormatError(
        fmt::format("code section size {} is not a multiple of 4", sec[kCode].size()));
  size_t ninstr = sec[kCode].size() / 4;
  Reader f(sec[kFunctions], base(kFunctions), "functions");
  uint32_t nfn = f.count(28, "functions");
  m.entry = f.u32();
  m.num_globals = f.u32();
  for (uint32_t i = 0; i < nfn; ++i) {
    Proto p;
    p.name = f.str();
    p.num_params = f.u8();
    p.num_regs = f.u8();
    p.num_spills = f.u16();
    p.source = f.u32();
    uint32_t code_start = f.u32(), code_len = f.u32();
    uint32_t dbg_start = f.u32(), dbg_len = f.u32();
    if (code_start > ninstr || code_len > ninstr - code_start)
      f.fail(
          fmt::format("function '{}': code range [{}, +{}) outside the code section ({} "
                      "instructions)",
                      p.name, code_start, code_len, ninstr));
    Reader code(sec[kCode].subspan(code_start * 4, code_len * 4), base(kCode) + code_start * 4,
                "code");
    p.code.reserve(code_len);
    for (uint32_t k = 0; k < code_len; ++k) p.code.push_back(code.u32());
    if (dbg_len != 0) {
      if (dbg_start > sec[kDebug].size() || dbg_len > sec[kDebug].size() - dbg_start)
        f.fail(fmt::format("function '{}': debug range outside the debug section", p.name));
      Reader d(sec[kDebug].subspan(dbg_start, dbg_len), base(kDebug) + dbg_start, "debug");
      int64_t line = 0;
      for (uint32_t k = 0; k < code_len; ++k) {
        line += unzigzag(d.varint());
        uint64_t col = d.varint();
        if (line < 0 || line > UINT32_MAX || col > UINT32_MAX)
          d.fail("line or column out of range");
        p.lines.push_back({static_cast<uint32_t>(line), static_cast<uint32_t>(col)});
      }
      d.expect_end();
    }
    m.functions.push_back(std::move(p));
  }
  f.expect_end();
  verify_module(m);
  return m;
}

Module load_module_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw FormatError(path.string() + ": error: is a directory, not a bytecode file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path.string() + ": error: cannot open file: " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  try {
    return read_module(bytes);
  } catch (const FormatError& e) {
    throw FormatError(path.string() + ": error: " + e.what());
  }
}

void save_module_file(const Module& m, const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = write_module(m);
  try {
    AtomicFileWriter out(path);
    out.write(std::as_bytes(std::span(bytes)));
    out.commit();
  } catch (const FileWriteError& e) {
    throw FormatError(path.string() + ": error: " + e.reason());
  }
}

}  // namespace tl
