// `tl disasm FILE.tlbc`: the readable listing of a bytecode file (vm/bytecode/disasm.h), with the
// source lines when the source files can be found (as recorded, or next to the .tlbc file).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "vm/bytecode/disasm.h"
#include "vm/bytecode/tlbc_file.h"
#include "vm/core/error.h"

namespace tl::cli {
namespace {

nlohmann::json to_json(const Module& m) {
  nlohmann::json j;
  j["entry"] = m.entry;
  j["sources"] = m.sources;
  auto& consts = j["constants"] = nlohmann::json::array();
  for (const Constant& k : m.constants) {
    static constexpr const char* kinds[] = {"int", "float", "string", "shape"};
    consts.push_back({{"kind", kinds[k.index()]}, {"text", constant_text(k)}});
  }
  auto& fns = j["functions"] = nlohmann::json::array();
  for (const Proto& p : m.functions) {
    nlohmann::json f = {{"name", p.name},
                        {"params", p.num_params},
                        {"registers", p.num_regs},
                        {"source", p.source}};
    auto& code = f["code"] = nlohmann::json::array();
    for (uint32_t pc = 0; pc < p.code.size(); ++pc) {
      nlohmann::json ins = {{"pc", pc},
                            {"op", op_info(get_op(p.code[pc])).name},
                            {"text", disassemble_instr(m, p.code[pc], pc)}};
      if (pc < p.lines.size()) ins["line"] = p.lines[pc].line, ins["col"] = p.lines[pc].col;
      code.push_back(ins);
    }
    fns.push_back(f);
  }
  return j;
}

}  // namespace

int cmd_disasm(const Args& args) {
  po::options_description options("options");
  options.add_options()("format", po::value<std::string>()->default_value("text"), "text or json")(
      "file", po::value<std::string>(), ".tlbc file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto stop = parse("disasm", "tl disasm [--format=text|json] FILE.tlbc",
                        "Print a .tlbc file as readable instructions, with the source lines when "
                        "the source files are found.",
                        options, positional, args, vm))
    return *stop;
  auto json = json_format("disasm", vm["format"].as<std::string>());
  if (!json) return kExitUsage;
  if (!vm.count("file")) return usage_error("disasm", "no input file");
  std::string path = vm["file"].as<std::string>();
  // An unreadable input is a usage error (exit 2); a bad file is an input error (exit 1).
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::is_directory(path, ec)) {
    std::cerr << fmt::format(
        "tl disasm: error: {}: {}\n", path,
        std::filesystem::is_directory(path, ec) ? "is a directory" : "no such file");
    return kExitUsage;
  }
  Module m;
  try {
    m = load_module_file(path);
  } catch (const FormatError& e) {
    std::cerr << e.what() << "\n";
    return kExitInputError;
  }
  if (*json) {
    std::cout << to_json(m).dump(2) << "\n";
  } else {
    disassemble(m, std::cout, std::filesystem::path(path).parent_path());
  }
  return kExitOk;
}

}  // namespace tl::cli
