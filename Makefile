# Thin wrapper over CMake for the common targets: deps, build, demo, test, asan, tsan, fuzz, bench.
# `make demo` and `make test` install their Debian dependencies themselves (as root).

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SHARED ?= $(abspath ../shared)
DEB_PKGS = build-essential cmake pkg-config libjpeg62-turbo-dev libpng-dev libwebp-dev \
           libgif-dev libssl-dev zlib1g-dev libcmocka-dev libsnappy-dev libzstd-dev liblz4-dev \
           libbrotli-dev libcurl4-openssl-dev python3-numpy libopenblas-dev python3-faiss \
           valgrind openssl
# what `make fuzz` adds: clang and its libFuzzer runtime (Debian 12)
FUZZ_PKGS = clang libclang-rt-14-dev
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build demo test test-slurm asan tsan fuzz bench clean duckdb

all: build

deps:
	@if dpkg -s $(DEB_PKGS) >/dev/null 2>&1; then echo "deps: all Debian packages present"; \
	else $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y $(DEB_PKGS); fi

# keyed on the generated Makefile, not CMakeCache.txt: a configure that failed (a missing
# package) leaves the cache behind but no Makefile, and the next `make` configures again
$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDV_WERROR=ON -DDV_SHARED_DIR=$(SHARED)

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory build
	@sh tools/demo.sh $(BUILD)/datavet $(SHARED) $(BUILD)

# DuckDB (npm, test-only peer) reads back the Parquet files datavet writes; the test skips without it
duckdb:
	@if command -v npm >/dev/null 2>&1; then (cd tests/duckdb && { [ -d node_modules/@duckdb/node-api ] || \
	    npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || \
	    npm install --no-audit --no-fund --loglevel=error; }) \
	    || echo "warning: npm install failed; the parquet_duckdb test will SKIP"; \
	else echo "note: npm not found; the parquet_duckdb test will SKIP"; fi

test: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory duckdb
	@if [ ! -d "$(SHARED)/photos/dev" ]; then echo "NOTE: $(SHARED) is absent: the tests that need its reference data skip them (each prints SKIP: ...; 'cd $(BUILD) && ctest -V' shows them)"; fi
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# datavet slurm on a throw-away single-node Slurm cluster (root; installs slurm and munge
# itself when missing; skips visibly where the cluster cannot start)
test-slurm: build
	bash tests/slurm/slurm_test.sh $(BUILD)/datavet $(SHARED)

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDV_SANITIZE=ON -DDV_WERROR=ON \
	      -DDV_BUILD_BENCH=OFF -DDV_SHARED_DIR=$(SHARED)
	cmake --build build-asan -j $(JOBS)
	@$(MAKE) --no-print-directory duckdb
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer (docs/fuzzing.md): the library, CLI and tests built with clang
# -fsanitize=thread in build-tsan/, then the whole suite (about 10 min on 2 CPUs). Reports go
# to stderr, or with TSAN_OPTIONS=log_path=DIR/tsan one file a process; any report fails the
# process (exit 66), so its test fails
TSAN_OPTIONS ?=
tsan: deps
	@if dpkg -s $(FUZZ_PKGS) >/dev/null 2>&1; then echo "tsan: clang and its runtimes present"; \
	else $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y $(FUZZ_PKGS); fi
	CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DDV_TSAN=ON -DDV_WERROR=ON \
	      -DDV_BUILD_BENCH=OFF -DDV_SHARED_DIR=$(SHARED)
	cmake --build build-tsan -j $(JOBS)
	@$(MAKE) --no-print-directory duckdb
	cd build-tsan && TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 $(TSAN_OPTIONS)" \
	    ctest --output-on-failure -j $(JOBS)

fuzz: deps
	@if dpkg -s $(FUZZ_PKGS) >/dev/null 2>&1; then echo "fuzz: clang and libFuzzer present"; \
	else $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y $(FUZZ_PKGS); fi
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DDV_FUZZ_LIBFUZZER=ON \
	      -DDV_BUILD_BENCH=OFF -DDV_SHARED_DIR=$(SHARED)
	cmake --build build-fuzz -j $(JOBS)
	@echo "fuzzers are in build-fuzz/fuzz/; see docs/fuzzing.md (fuzz into a scratch copy of fuzz/corpus/<name>)"

bench: build
	$(BUILD)/bench/hash_bench $(SHARED)/photos/dev
	$(BUILD)/bench/match_bench
	$(BUILD)/bench/readers_bench
	$(BUILD)/bench/list_bench
	$(BUILD)/bench/fetch_bench $(SHARED)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
