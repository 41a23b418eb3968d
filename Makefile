# The two commands of README.md's quick start, for a fresh Debian 12 machine:
#   make demo   installs what is missing, builds, runs the pipeline on synth's data
#   make test   installs what is missing, builds, runs the tests, then again under
#               AddressSanitizer + UndefinedBehaviorSanitizer, then fuzzes each libFuzzer
#               target for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=3600 to fuzz longer)
# (python3-h5py: the tests read our HDF5 files from Python, as users will.)
# Both are idempotent: nothing is rebuilt or rerun when nothing changed.

DEBS := gcc libc6-dev pkg-config meson ninja-build libyajl-dev libhdf5-dev hdf5-tools \
        libzstd-dev libopenblas-dev libcriterion-dev clang libclang-rt-14-dev \
        python3-h5py python3-scipy python3-anndata valgrind libopenmpi-dev openmpi-bin
BUILD := build
SAN := build-san
FUZZ := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := records chunk store_shapes
OUT := out
MESON_OPTS := -Dwerror=true

.PHONY: all deps build demo test fuzz clean

all: build

# Installs the Debian packages that are missing (as root), or says which (otherwise).
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages:$$missing"; echo "run as root: apt-get install$$missing"; exit 1; \
	  fi; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

$(SAN)/build.ninja:
	meson setup $(SAN) $(MESON_OPTS) -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

demo: build
	@mkdir -p $(OUT)
	$(BUILD)/synth/synth -o $(OUT)/traces.ndjson --stats
	$(BUILD)/ingest/ingest $(OUT)/traces.ndjson -o $(OUT)/ingest.h5
	$(BUILD)/aggregate/aggregate $(OUT)/ingest.h5 -o $(OUT)/store.h5
	$(BUILD)/train/train $(OUT)/store.h5 -o $(OUT)/model.h5 --predictions $(OUT)/predictions.h5 \
	  --model factorized --transform raw --steps 28 --epochs 30 --threads 2
	$(BUILD)/eval/eval $(OUT)/predictions.h5 --html $(OUT)/report.html

test: build $(SAN)/build.ninja
	meson test -C $(BUILD) --print-errorlogs
	meson compile -C $(SAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(SAN) --print-errorlogs --timeout-multiplier 3
	$(MAKE) --no-print-directory fuzz

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) $(MESON_OPTS) -Dfuzz=true -Dbuildtype=debugoptimized \
	  -Db_sanitize=address,undefined -Db_lundef=false

# Each target starts from a copy of its seed corpus (libFuzzer adds to the folder it is
# given); a crash leaves its input in $(FUZZ)/crash-* and fails the run.
fuzz: deps $(FUZZ)/build.ninja
	@for t in $(FUZZ_TARGETS); do meson compile -C $(FUZZ) tests/fuzz/fuzz_$$t >/dev/null || exit 1; done
	@for t in $(FUZZ_TARGETS); do \
	  corpus=$$(mktemp -d); cp tests/fuzz/corpus/$$t/* "$$corpus"/; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  if $(FUZZ)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -timeout=20 \
	       -artifact_prefix=$(FUZZ)/ -print_final_stats=1 "$$corpus" >$(FUZZ)/fuzz_$$t.log 2>&1; then \
	    grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ)/fuzz_$$t.log; rm -rf "$$corpus"; \
	  else \
	    tail -n 40 $(FUZZ)/fuzz_$$t.log; rm -rf "$$corpus"; echo "fuzz_$$t failed: input in $(FUZZ)/crash-*"; exit 1; \
	  fi; \
	done

clean:
	rm -rf $(BUILD) $(SAN) $(FUZZ) $(OUT)
