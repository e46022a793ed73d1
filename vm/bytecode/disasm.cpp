#include "vm/bytecode/disasm.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <vector>

#include "vm/bytecode/builtins.h"
#include "vm/tensor/backend.h"

namespace tl {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\x{:02x}", c);
    else
      out += c;
  }
  return out + "\"";
}

std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::vector<std::string> lines;
  std::ifstream in(p);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace

std::string constant_text(const Constant& k) {
  switch (const_kind(k)) {
    case ConstKind::Int:
      return fmt::format("{}", std::get<int64_t>(k));
    case ConstKind::Float:
      return fmt::format("{}", std::get<double>(k));
    case ConstKind::String:
      return quoted(std::get<std::string>(k));
    case ConstKind::Shape: {
      std::string s = "[";
      const auto& d = std::get<ShapeConst>(k).dims;
      for (size_t i = 0; i < d.size(); ++i)
        s += (i ? ", " : "") + (d[i] < 0 ? std::string("?") : std::to_string(d[i]));
      return s + "]";
    }
    case ConstKind::Elementwise: {
      const auto& p = std::get<ElementwiseProgram>(k);
      std::string in;
      for (auto kind : p.inputs)
        in += std::string(in.empty() ? "" : ", ") +
              (kind == ElementwiseProgram::InputKind::Scalar ? "f32" : "tensor");
      return fmt::format("({}) {{ {} }}", in, to_string(p));
    }
  }
  return "?";
}

std::string disassemble_instr(const Module& m, Instr i, uint32_t pc) {
  if (static_cast<size_t>(get_op(i)) >= kOpCount) return fmt::format("<bad opcode {}>", i & 0xff);
  const OpInfo& info = op_info(get_op(i));
  std::vector<std::pair<OperandKind, int>> ops;
  switch (info.format) {
    case OpFormat::iABC:
      ops = {{info.a, get_a(i)}, {info.b, get_b(i)}, {info.c, get_c(i)}};
      break;
    case OpFormat::iABx:
      ops = {{info.a, get_a(i)}, {info.b, get_bx(i)}};
      break;
    case OpFormat::iAsBx:
      ops = {{info.a, get_a(i)}, {info.b, get_sbx(i)}};
      break;
    case OpFormat::iAx:
      ops = {{OperandKind::I, get_ax(i)}};
      break;
  }
  std::string text = fmt::format("{:<11}", info.name);
  std::string comment;
  auto add_comment = [&](const std::string& c) { comment += (comment.empty() ? "" : ", ") + c; };
  for (auto [kind, v] : ops) {
    if (kind == OperandKind::_) continue;
    text += fmt::format(" {}", v);
    switch (kind) {
      case OperandKind::K:
      case OperandKind::S:
      case OperandKind::P:
      case OperandKind::E:
        if (static_cast<size_t>(v) < m.constants.size())
          add_comment(fmt::format("K{} = {}", v, constant_text(m.constants[v])));
        break;
      case OperandKind::F:
        if (static_cast<size_t>(v) < m.functions.size()) add_comment("fn " + m.functions[v].name);
        break;
      case OperandKind::X:
        if (static_cast<size_t>(v) < kBuiltinCount)
          add_comment(std::string(builtin_info(static_cast<Builtin>(v)).name));
        break;
      case OperandKind::J:
        add_comment(fmt::format("to {}", static_cast<int64_t>(pc) + 1 + v));
        break;
      case OperandKind::U: {
        static constexpr std::string_view names[] = {
#define X(e, s) s,
            TL_UNARY_OPS(X)
#undef X
        };
        if (static_cast<size_t>(v) < std::size(names)) add_comment(std::string(names[v]));
        break;
      }
      case OperandKind::D: {
        static constexpr std::string_view names[] = {
#define X(e, s) s,
            TL_REDUCE_OPS(X)
#undef X
        };
        if (static_cast<size_t>(v) < std::size(names)) add_comment(std::string(names[v]));
        break;
      }
      default:
        break;
    }
  }
  switch (info.op) {
    case OpCode::ADDI:
    case OpCode::SOFTMAX:
      add_comment(fmt::format("sC = {}", get_sc(i)));
      break;
    case OpCode::CLTI:
    case OpCode::CLEI:
    case OpCode::CGTI:
    case OpCode::CGEI:
    case OpCode::CEQI:
      add_comment(fmt::format("sB = {}", get_sb(i)));
      break;
    default:
      break;
  }
  if (!comment.empty()) text = fmt::format("{:<28}; {}", text, comment);
  return text;
}

void disassemble(const Module& m, std::ostream& out, const std::filesystem::path& source_dir) {
  std::map<uint32_t, std::vector<std::string>> sources;
  auto source_lines = [&](uint32_t idx) -> const std::vector<std::string>& {
    auto it = sources.find(idx);
    if (it != sources.end()) return it->second;
    std::vector<std::string> lines;
    if (idx < m.sources.size()) {
      std::filesystem::path p = m.sources[idx];
      lines = read_lines(p);
      if (lines.empty() && !source_dir.empty() && p.is_relative())
        lines = read_lines(source_dir / p);
    }
    return sources.emplace(idx, std::move(lines)).first->second;
  };

  out << fmt::format("constants ({}):\n", m.constants.size());
  static constexpr const char* kinds[] = {"int", "float", "string", "shape", "fused"};
  for (size_t k = 0; k < m.constants.size(); ++k)
    out << fmt::format("  K{:<4} {:<7} {}\n", k, kinds[m.constants[k].index()],
                       constant_text(m.constants[k]));
  for (size_t f = 0; f < m.functions.size(); ++f) {
    const Proto& p = m.functions[f];
    std::string file = p.source < m.sources.size() ? m.sources[p.source] : "";
    const std::string spills =
        p.num_spills ? fmt::format(", {} spill slots", p.num_spills) : std::string();
    out << fmt::format("\nfunction {} {} ({} params, {} registers{}, {} instructions){}{}\n", f,
                       p.name, p.num_params, p.num_regs, spills, p.code.size(),
                       file.empty() ? "" : " from " + file, f == m.entry ? " [entry]" : "");
    const auto& lines = source_lines(p.source);
    uint32_t last_line = 0;
    for (uint32_t pc = 0; pc < p.code.size(); ++pc) {
      SourcePos pos = pc < p.lines.size() ? p.lines[pc] : SourcePos{};
      if (pos.line != 0 && pos.line != last_line && pos.line <= lines.size())
        out << fmt::format("  {:>5} | {}\n", pos.line, lines[pos.line - 1]);
      last_line = pos.line;
      std::string where = pos.line ? fmt::format("{}:{}", pos.line, pos.col) : "";
      out << fmt::format("  {:>5}  {:<8} {}\n", pc, where, disassemble_instr(m, p.code[pc], pc));
    }
  }
}

}  // namespace tl
