// The analyzer tl-lsp uses: the richest layer built (lexical -> syntax -> checker).
#pragma once

#include <memory>

#include "lsp/analysis.h"

namespace tl::lsp {
std::unique_ptr<Analyzer> make_default_analyzer();
}
