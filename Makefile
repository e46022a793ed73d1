# Thin wrapper around CMake (the way Neovim does it). Quick start: `make run`, `make test`.
BUILD    ?= build
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?=
# Debian 12 packages the build, the tests and the benches need.
PACKAGES := cmake ninja-build g++ clang pkg-config nlohmann-json3-dev libvulkan-dev glslang-dev \
            glslang-tools libfmt-dev libboost-program-options-dev libgtest-dev libgmock-dev \
            libbenchmark-dev mesa-vulkan-drivers vulkan-validationlayers python3 python3-numpy \
            lua5.4 libopenblas0 neovim emacs-nox elpa-eglot elpa-lsp-mode unzip

.PHONY: all deps configure build run test test-asan bench bench-report fuzz format clean
all: build

# Installs what is missing when run as root; otherwise prints the exact command and stops.
deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing packages. Run as root:"; echo "  apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(if $(CI),-DTL_WERROR=ON) $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The guide's complete linear-model example, with the model file shipped beside it.
run: build
	$(BUILD)/bin/tl run docs/examples/guide.tl

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE 'fuzz|bench'

bench: build
	ctest --test-dir $(BUILD) --output-on-failure -L bench

# Runs the side-by-side benches on this machine and rewrites docs/performance.md's tables with what
# they print (bench/report.py). ONLY=startup,vm,cpu,ggml,e2e,llm,context,vulkan-llm picks sections
# (default: all but llm, context and vulkan-llm, the long ones; ggml and llm install
# node-llama-cpp into $(BUILD)/bench-llm with npm once).
bench-report: build
	cmake --build $(BUILD) --target tl_cpu_bench tl_kernel_bench
	/usr/bin/python3 bench/report.py --build $(BUILD) --doc docs/performance.md $(if $(ONLY),--only $(ONLY))

# libFuzzer targets, in their own clang build (every library instrumented with ASan + UBSan and
# coverage; only the fuzz targets and the tests of what they found are built): the findings'
# tests first, then each fuzz target for FUZZ_SECONDS from its seed corpus. CI runs it with
# FUZZ_SECONDS=10 (.ci/run); a longer run (the 60 s default, or more) is for a nightly job.
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DTL_FUZZ=ON -DTL_VULKAN=OFF -DTL_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target tl_fuzzers tl_fuzz_findings_tests
	$(BUILD)-fuzz/bin/tl_fuzz_findings_tests --gtest_brief=1
	ctest --test-dir $(BUILD)-fuzz --output-on-failure -j $(JOBS) -L fuzz

# The test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc, -O1), in its own
# build dir, without Vulkan (the drivers are not instrumented). Leak checks are off: a TL list that
# contains itself is reference-counted garbage by design. ASAN_GTESTS=name... builds and runs only
# those GoogleTest binaries (CI runs a subset: see .ci/run). ASan's redzones make each parser frame
# several times larger, so the 1000-level nesting limit (which needs under 1 MB uninstrumented, well
# inside the default 8 MB stack) runs with a 256 MB stack here.
ASAN_GTESTS ?=
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# One test has a latency budget (editors/vscode/test/lsp.test.js: 50 ms of server CPU per request
# on a 5,000-line file); the instrumented server takes up to 130 ms, so TL_SANITIZER_SLOWDOWN
# scales that budget by 5 here (the test prints it). The whole suite: 664 tests, 210 s on 2 cores.
ASAN_ENV    := ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
               TL_SANITIZER_SLOWDOWN=5
test-asan: deps
	cmake -S . -B $(BUILD)-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTL_VULKAN=OFF \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS="$(ASAN_FLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="$(ASAN_FLAGS)"
ifeq ($(ASAN_GTESTS),)
	cmake --build $(BUILD)-asan -j $(JOBS)
	ulimit -s 262144 && $(ASAN_ENV) ctest --test-dir $(BUILD)-asan --output-on-failure -j $(JOBS) -LE 'fuzz|bench'
else
	cmake --build $(BUILD)-asan -j $(JOBS) --target $(ASAN_GTESTS)
	set -e; ulimit -s 262144; for t in $(ASAN_GTESTS); do \
	  exe=$(BUILD)-asan/bin/$$t; \
	  echo "== $$exe"; $(ASAN_ENV) $$exe --gtest_brief=1; \
	done
endif

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz $(BUILD)-asan
