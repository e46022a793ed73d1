// The process around the Server: a reader thread frames stdin into the MessageQueue (answering
// parse errors and cancellations at once), the calling thread handles messages in order.
#pragma once

#include <memory>

#include "lsp/analysis.h"
#include "lsp/server.h"

namespace tl::lsp {

// Runs until `exit` or end of input; returns the process exit code.
int run_server(int in_fd, int out_fd, std::unique_ptr<Analyzer> analyzer, ServerOptions options);

}  // namespace tl::lsp
