// libFuzzer target for the tokenizers: the input is a GGUF file; when its header parses, its
// tokenizer metadata is read (malformed metadata must be a FormatError), and a fixed set of texts
// plus the input's own tail are tokenized and detokenized with every option. Any other exception,
// a crash or a sanitizer report is a bug. The seed corpus holds small vocab-only GGUF files.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vm/model/formats.h"
#include "vm/model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  tl::ModelHeader header;
  try {
    header = tl::parse_gguf("fuzz.gguf", bytes);
  } catch (const tl::ModelFileError&) {
    return 0;
  }
  try {
    const tl::Tokenizer t = tl::Tokenizer::from_gguf(header);
    const std::string_view tail(reinterpret_cast<const char*>(data) + size / 2, size - size / 2);
    for (std::string_view text : {std::string_view("Hello world <s> </s>"),
                                  std::string_view(" a\nb  \t12345 'll ÄÖ 日本 \xF0\x9F\xA6\x99"),
                                  std::string_view("\xFF\xC3"), tail}) {
      for (bool special : {false, true}) {
        std::vector<int32_t> ids;
        try {
          ids =
              t.tokenize(text, {.add_bos = special, .add_eos = special, .parse_special = special});
        } catch (const tl::RuntimeError&) {  // no BOS/EOS, a byte without a token
          continue;
        }
        for (int32_t id : ids)
          if (id < 0 || static_cast<size_t>(id) >= t.size()) __builtin_trap();
        const std::vector<int64_t> wide(ids.begin(), ids.end());
        (void)t.detokenize(wide);
      }
    }
  } catch (const tl::FormatError&) {
  }
  return 0;
}
