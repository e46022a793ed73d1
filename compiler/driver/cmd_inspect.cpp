// `tl inspect FILE`: the format, version, metadata and tensor table of a safetensors or GGUF file.
// Reads the header only, so it is instant on multi-GB files.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "compiler/driver/cli.h"
#include "compiler/driver/commands.h"
#include "vm/model/model.h"

namespace tl::cli {

namespace {

// Arrays longer than this are shown as their first elements and a count, as gguf-dump does for
// tokenizer vocabularies.
constexpr size_t kArrayHead = 8;

// The output document keeps its keys in the order written; metadata values are nlohmann::json.
using json = nlohmann::ordered_json;

// JSON has no NaN or infinity (nlohmann writes them as null): they are shown as the strings
// "nan", "inf" and "-inf", as print shows them.
nlohmann::json spell_non_finite(const nlohmann::json& v) {
  if (v.is_number_float() && !std::isfinite(v.get<double>())) {
    const double d = v.get<double>();
    return std::isnan(d) ? "nan" : d > 0 ? "inf" : "-inf";
  }
  if (!v.is_array()) return v;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : v) out.push_back(spell_non_finite(e));
  return out;
}

std::string dump(const nlohmann::json& v) {
  return spell_non_finite(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_array() && v.size() > kArrayHead) {
    std::string head;
    for (size_t i = 0; i < kArrayHead; ++i) head += (i ? ", " : "") + dump(v[i]);
    return fmt::format("[{}, ...] ({} items)", head, v.size());
  }
  std::string s = dump(v);
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return s;
}

json value_json(const nlohmann::json& v) {
  if (v.is_array() && v.size() > kArrayHead) {
    json head = json::array();
    for (size_t i = 0; i < kArrayHead; ++i) head.push_back(json(spell_non_finite(v[i])));
    return json{{"count", v.size()}, {"head", head}, {"truncated", true}};
  }
  return json(spell_non_finite(v));
}

std::string format_line(const ModelHeader& h) {
  if (h.format == ModelFormat::Gguf)
    return fmt::format("GGUF v{} ({} bytes, alignment {}, data at byte {})", h.version, h.file_size,
                       h.alignment, h.data_offset);
  return fmt::format("safetensors ({} bytes, header {} bytes)", h.file_size, h.data_offset);
}

void print_text(const ModelHeader& h) {
  std::cout << fmt::format("file:     {}\nformat:   {}\n", h.path.string(), format_line(h));
  std::cout << fmt::format("metadata: {} entries\n", h.metadata.size());
  size_t kw = 0, tw = 0;
  for (const auto& m : h.metadata) {
    kw = std::max(kw, m.key.size());
    tw = std::max(tw, m.type.size());
  }
  for (const auto& m : h.metadata)
    std::cout << fmt::format("  {:<{}}  {:<{}}  {}\n", m.key, kw, m.type, tw, value_text(*m.value));
  std::cout << fmt::format("tensors:  {}\n", h.tensors.size());
  size_t nw = 4, dw = 5, sw = 5, bw = 5, ow = 6;
  for (const auto& t : h.tensors) {
    nw = std::max(nw, t.name.size());
    dw = std::max(dw, dtype_name(t.dtype).size());
    sw = std::max(sw, t.shape.to_string().size());
    bw = std::max(bw, fmt::formatted_size("{}", t.nbytes));
    ow = std::max(ow, fmt::formatted_size("{}", t.offset));
  }
  if (h.tensors.empty()) return;
  std::cout << fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:>{}}  {:>{}}\n", "name", nw, "dtype", dw,
                           "shape", sw, "bytes", bw, "offset", ow);
  for (const auto& t : h.tensors)
    std::cout << fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:>{}}  {:>{}}\n", t.name, nw,
                             dtype_name(t.dtype), dw, t.shape.to_string(), sw, t.nbytes, bw,
                             t.offset, ow);
}

void print_json(const ModelHeader& h) {
  json out;
  out["file"] = h.path.string();
  out["format"] = std::string(format_name(h.format));
  out["file_size"] = h.file_size;
  out["data_offset"] = h.data_offset;
  if (h.format == ModelFormat::Gguf) {
    out["version"] = h.version;
    out["alignment"] = h.alignment;
  }
  json meta = json::array();
  for (const auto& m : h.metadata)
    meta.push_back({{"key", m.key}, {"type", m.type}, {"value", value_json(*m.value)}});
  out["metadata"] = std::move(meta);
  json tensors = json::array();
  for (const auto& t : h.tensors)
    tensors.push_back({{"name", t.name},
                       {"dtype", std::string(dtype_name(t.dtype))},
                       {"shape", t.shape.dims()},
                       {"bytes", t.nbytes},
                       {"offset", t.offset}});
  out["tensors"] = std::move(tensors);
  std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace

int cmd_inspect(const Args& args) {
  po::options_description options("options");
  options.add_options()("format", po::value<std::string>()->default_value("text"),
                        "output format: text or json");
  options.add_options()("file", po::value<std::string>(), "the model file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto stop =
          parse("inspect", "tl inspect [--format=text|json] FILE",
                "Show the format, version, metadata and tensors (name, dtype, shape, bytes, "
                "offset) of a safetensors or GGUF file. Reads the header only.",
                options, positional, args, vm))
    return *stop;
  const auto as_json = json_format("inspect", vm["format"].as<std::string>());
  if (!as_json) return kExitUsage;
  if (!vm.count("file")) return usage_error("inspect", "missing FILE");
  const std::string file = vm["file"].as<std::string>();
  try {
    const ModelHeader h = read_model_header(file);
    if (*as_json)
      print_json(h);
    else
      print_text(h);
  } catch (const ModelFileError& e) {
    std::cerr << fmt::format("{}: error: {}\n", e.path().string(), e.detail());
    return kExitInputError;
  }
  return kExitOk;
}

}  // namespace tl::cli
