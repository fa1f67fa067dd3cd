# APG-C build. `make` builds ./apg; `make test` builds and runs every tests/test_*.c;
# `make test-asan` runs the same tests under AddressSanitizer + UBSan; `make bench`.
# Sources are collected by wildcard: a new .c file in a module folder is built as is.

CC       ?= cc
MODULES  := core backbones conditions reparam experiments results
OPT      ?= -O2 -ftree-vectorize -fno-math-errno
CFLAGS   ?= $(OPT) -g
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# BLIS: Debian ships it per threading model; prefer the OpenMP build.
BLIS_VARIANT := $(firstword $(foreach v,blis-openmp blis-pthread blis-serial,\
                  $(if $(wildcard /usr/include/$(MULTIARCH)/$(v)/blis.h),$(v))))
BLIS_INC := /usr/include/$(MULTIARCH)/$(BLIS_VARIANT)
BLIS_LIB := /usr/lib/$(MULTIARCH)/$(BLIS_VARIANT)

PKG_CFLAGS := $(shell pkg-config --cflags sqlite3 cmocka 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs sqlite3 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null)

# Open MPI (Debian's libopenmpi-dev): linked when installed, so `mpirun -np N ./apg` can
# shard a grid or a training run; core/dist.c is the only file that includes mpi.h, and
# a process that mpirun did not launch never starts MPI.
MPI_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags ompi-c 2>/dev/null))
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null)
MPI_DEF    := $(if $(MPI_LIBS),-DAPG_MPI)

WARN     := -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter -D_POSIX_C_SOURCE=200809L
ALL_CFLAGS = $(WARN) $(CFLAGS) -fopenmp -I. $(MODULES:%=-I%) -isystem $(BLIS_INC) $(PKG_CFLAGS) -MMD -MP
LDLIBS_ALL = -L$(BLIS_LIB) -Wl,-rpath,$(BLIS_LIB) -lblis -lcsv $(PKG_LIBS) $(MPI_LIBS) -fopenmp -lm


LIB_SRC  := $(filter-out experiments/main.c,$(foreach d,$(MODULES),$(wildcard $(d)/*.c)))
TEST_SRC := $(wildcard tests/test_*.c)
# The fuzz targets (tests/fuzz/harness_*.c) are linked into the tests too (test_fuzz).
FUZZ_SRC := $(wildcard tests/fuzz/harness_*.c)
TEST_SUPPORT := $(filter-out $(TEST_SRC),$(wildcard tests/*.c)) $(FUZZ_SRC)

# Build flavours: normal under build/, sanitizers under build/asan/.
B ?= build
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TEST_OBJ := $(TEST_SUPPORT:%.c=$(B)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)

.PHONY: all test test-asan valgrind bench bench-scale bench-torch bench-mpi clean deps golden reproduce-all
.SECONDARY:
all: apg

apg: $(B)/.deps-ok $(B)/libapg.a $(B)/experiments/main.o
	$(CC) -o $@ $(B)/experiments/main.o $(B)/libapg.a $(LDLIBS_ALL) $(LDFLAGS)

$(B)/libapg.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/core/dist.o: ALL_CFLAGS += $(MPI_DEF) $(MPI_CFLAGS)

# The run rows record the flags the binary was built with.
$(B)/results/env.o: ALL_CFLAGS += -DAPG_BUILD_CFLAGS='"$(CC) $(CFLAGS)"'

$(B)/%.o: %.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%: $(B)/tests/%.o $(TEST_OBJ) $(B)/libapg.a
	$(CC) -o $@ $< $(TEST_OBJ) $(B)/libapg.a $(TEST_LIBS) $(LDLIBS_ALL) $(LDFLAGS)

# Dependency check: install (root) or print the exact command.
$(B)/.deps-ok:
	@mkdir -p $(B)
	@ok=1; \
	for h in $(BLIS_INC)/blis.h /usr/include/csv.h /usr/include/sqlite3.h /usr/include/cmocka.h; do \
	    [ -f "$$h" ] || { echo "missing dependency header: $$h"; ok=0; }; \
	done; \
	if [ $$ok = 0 ]; then \
	    if [ "$$(id -u)" = 0 ]; then bash scripts/install-deps.sh || exit 1; \
	    else echo "install the dependencies with: sudo bash scripts/install-deps.sh"; exit 1; fi; \
	    echo "dependencies installed: run make again"; exit 1; \
	fi
	@touch $@

test: $(TEST_BIN)
	@bash tests/run.sh $(TEST_BIN)

test-asan:
	@$(MAKE) --no-print-directory B=build/asan \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" test

# A sanitizer build of the command itself, ./apg-asan (objects under build/asan; ./apg
# is untouched): `make apg-asan && ./apg-asan train ...`.
ASAN_CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_LDFLAGS := -fsanitize=address,undefined
.PHONY: apg-asan
apg-asan:
	@$(MAKE) --no-print-directory B=build/asan CFLAGS="$(ASAN_CFLAGS)" LDFLAGS="$(ASAN_LDFLAGS)" build/asan/apg
	@cp -f build/asan/apg apg-asan

$(B)/apg: $(B)/.deps-ok $(B)/libapg.a $(B)/experiments/main.o
	$(CC) -o $@ $(B)/experiments/main.o $(B)/libapg.a $(LDLIBS_ALL) $(LDFLAGS)

bench: apg
	@bash experiments/bench.sh

# Seconds per epoch and peak RSS at 100k, 1M and 4M synthetic rows (BENCH_SCALE_ROWS).
bench-scale: apg
	@bash experiments/bench_scale.sh

# The main commands under valgrind memcheck (invalid accesses, uninitialised reads,
# definite leaks).
valgrind: apg
	@bash experiments/valgrind.sh

# APG-C beside an independent PyTorch implementation (experiments/torch_reference.py;
# needs Debian's python3-torch) on the same exported data files.
bench-torch: apg
	@bash experiments/bench_torch.sh

# Data-parallel training over 2 MPI ranks against 1, bytes per step, projected scaling.
bench-mpi: apg
	@bash experiments/bench_mpi.sh

# Fuzzing: every target of tests/fuzz/targets.def (each loader, the cache reader, the
# checkpoint reader) under libFuzzer with ASan + UBSan, FUZZ_SECONDS each (default 60),
# or only FUZZ_TARGETS="csv cache". Built with clang under build/fuzz; the corpus grows
# in build/fuzz/corpus/TARGET; a crash is saved as build/fuzz/crashes/TARGET-* and makes
# the target fail (tests/fuzz/run.sh; fixed inputs go to tests/fuzz/regress/TARGET/).
# `make fuzz-smoke` (CI): 3000 inputs a target from a fixed seed, so it is repeatable.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS ?= $(shell sed -n 's/^X(\([a-z0-9_]*\)).*/\1/p' tests/fuzz/targets.def)
FUZZ_CFLAGS  := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
FUZZ_OBJ      = $(FUZZ_SRC:%.c=$(B)/%.o)
.PHONY: fuzz fuzz-smoke
fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang: sudo apt-get install clang libclang-rt-dev libomp-dev"; exit 1; }
	@$(MAKE) --no-print-directory B=build/fuzz CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS)" \
	    build/fuzz/apg-fuzz build/fuzz/apg-fuzz-seeds
	@bash tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)
fuzz-smoke:
	@FUZZ_FLAGS="-seed=1 -runs=3000" $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=120

$(B)/apg-fuzz: $(B)/tests/fuzz/main_libfuzzer.o $(FUZZ_OBJ) $(B)/libapg.a
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS_ALL)
$(B)/apg-fuzz-seeds: $(B)/tests/fuzz/main_seeds.o $(FUZZ_OBJ) $(B)/libapg.a
	$(CC) -fsanitize=address,undefined -o $@ $^ $(LDLIBS_ALL)

# Regenerate the backbone golden files tests/golden/<name>.golden from their PyTorch
# scripts (Debian's python3-torch; make test itself needs no Python).
PYTHON ?= /usr/bin/python3
golden:
	@for f in tests/golden/*.py; do [ "$${f##*/}" = golden.py ] || $(PYTHON) "$$f" || exit 1; done

# Paper tables: `make reproduce-table3` .. `make reproduce-table11`, `make reproduce-all`.
# Installs missing Debian packages (scripts/install-deps.sh), builds ./apg, trains what
# out/results.db lacks, prints the table. DATA= folder of real datasets (missing ones
# fall back to synthetic stand-ins, announced), SEEDS=, JOBS= x THREADS= (<= cores),
# FULL=1 (the paper's K x P grid, full-size stand-ins, 10 epochs), ARGS= more options.
DATA    ?= data
SEEDS   ?= 3
JOBS    ?= 2
THREADS ?= 1
DB      ?= out/results.db
REPRO_FLAGS = --data $(DATA) --seeds $(SEEDS) --jobs $(JOBS) --threads $(THREADS) --db $(DB) $(if $(FULL),--full) $(ARGS)
REPRO_SPECS := table3 table4 table5 table6 table7 table9 table10 table11
.PHONY: $(REPRO_SPECS:%=reproduce-%)

deps:
	@bash scripts/install-deps.sh

$(REPRO_SPECS:%=reproduce-%): reproduce-%:
	@bash scripts/install-deps.sh
	@$(MAKE) --no-print-directory apg
	./apg reproduce $* $(REPRO_FLAGS)

reproduce-all:
	@bash scripts/install-deps.sh
	@$(MAKE) --no-print-directory apg
	./apg reproduce all $(REPRO_FLAGS)

# Figures 7, 8, 10 (PNG + SVG under $(FIGS)) and the reproduction report ($(REPORT)/README.md)
# from $(DB); RUN=1 first trains the runs the figures lack (same flags as reproduce-*).
FIGS   ?= out/figures
REPORT ?= out/report
.PHONY: figures report
figures:
	@bash scripts/install-deps.sh
	@$(MAKE) --no-print-directory apg
	./apg plot all --db $(DB) --out $(FIGS) $(if $(RUN),--run-missing --data $(DATA) --seeds $(SEEDS) --jobs $(JOBS) --threads $(THREADS) $(if $(FULL),--full) $(ARGS))

report:
	@bash scripts/install-deps.sh
	@$(MAKE) --no-print-directory apg
	./apg report --db $(DB) --out $(REPORT)

clean:
	rm -rf build apg apg-asan

-include $(shell find $(B) -name '*.d' 2>/dev/null)
