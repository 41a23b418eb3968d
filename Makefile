# The two commands of README.md's quick start, for a fresh Debian 12 machine:
#   make demo   installs what is missing, builds, runs the pipeline on synth's data
#   make test   installs what is missing, builds, runs the tests, then again under
#               AddressSanitizer + UndefinedBehaviorSanitizer
# Both are idempotent: nothing is rebuilt or rerun when nothing changed.

DEBS := gcc libc6-dev pkg-config meson ninja-build libyajl-dev libhdf5-dev hdf5-tools \
        libzstd-dev libopenblas-dev libcriterion-dev
BUILD := build
SAN := build-san
OUT := out
MESON_OPTS := -Dwerror=true

.PHONY: all deps build demo test test-san clean

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

test: build $(SAN)/build.ninja
	meson test -C $(BUILD) --print-errorlogs
	meson compile -C $(SAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(SAN) --print-errorlogs --timeout-multiplier 3

clean:
	rm -rf $(BUILD) $(SAN) $(OUT)
