# The two commands a newcomer needs:
#   make run    install what is missing, build, start mcud on the example roster
#   make test   install what is missing, build, run the whole suite (ctest)
# Others: make deps | build | test-asan | test-tsan | fuzz | bench | clean

BUILD     ?= build
JOBS      ?= $(shell nproc)
CONFIG    ?= conf/examples/cantho.yaml
CTEST_ARGS ?=
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages: build, libraries, and the real peers the tests use.
DEPS_BUILD := build-essential cmake pkg-config clang libclang-rt-14-dev cppcheck
DEPS_LIBS  := libyaml-dev libavcodec-dev libavformat-dev libavutil-dev \
	libswscale-dev libswresample-dev libsrtp2-dev libnice-dev libssl-dev \
	libsofia-sip-ua-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev \
	libcmocka-dev libfreetype-dev fonts-dejavu-core tzdata libjemalloc-dev
DEPS_PEERS := ffmpeg sip-tester baresip baresip-ffmpeg curl python3 iproute2 prometheus openssl \
	chromium chromium-driver kamailio
DEPS       := $(DEPS_BUILD) $(DEPS_LIBS) $(DEPS_PEERS)
# The browser tests' npm package (playwright-core driving Debian's chromium;
# no browser download): installed when node_modules is missing or its copy of
# the lock differs from tests/browser/package-lock.json.
BROWSER    := tests/browser

.PHONY: all deps build run test test-asan test-tsan fuzz bench clean

all: build

deps:
	@missing=$$(for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing:" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@if ! command -v npm >/dev/null; then \
		echo "make deps: installing: nodejs npm"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	fi
	@if ! cmp -s $(BROWSER)/package-lock.json $(BROWSER)/node_modules/.mcud-lock; then \
		echo "make deps: npm ci in $(BROWSER)"; \
		(cd $(BROWSER) && npm ci --no-audit --no-fund --loglevel=error >/dev/null) && \
		cp $(BROWSER)/package-lock.json $(BROWSER)/node_modules/.mcud-lock; \
	fi

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# The daemon, the CLI and mcu-sim only: a newcomer should not wait for the
# tests. DEMO=1 (default): mcud on the example plus a 30-minute city-wide
# demo meeting that mcu-sim plays (tools/demo/city.sh; Ctrl-C stops both);
# DEMO=0: mcud alone on $(CONFIG).
DEMO      ?= 1
run: deps $(BUILD)/Makefile
ifeq ($(DEMO),0)
	cmake --build $(BUILD) -j $(JOBS) --target mcud mcuctl
	@mkdir -p run
	$(BUILD)/mcu/mcud -c $(CONFIG) --run-dir run
else
	cmake --build $(BUILD) -j $(JOBS) --target mcud mcuctl mcu-sim
	BUILD=$(BUILD) CONFIG=$(CONFIG) tools/demo/city.sh
endif

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The whole suite under ASan + UBSan. Reports go to files, so that one
# from a daemon in a test that passed anyway (its log goes with the test's
# work directory) is not lost, and any fails the run, as in CI's stage.
test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMCU_SANITIZE=address,undefined >/dev/null
	cmake --build build-asan -j $(JOBS)
	rm -rf build-asan/sanitizer && mkdir -p build-asan/sanitizer
	cd build-asan && export ASAN_OPTIONS="detect_leaks=1:log_path=$(CURDIR)/build-asan/sanitizer/asan" \
		UBSAN_OPTIONS="print_stacktrace=1:log_path=$(CURDIR)/build-asan/sanitizer/ubsan" \
		LSAN_OPTIONS="suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"; \
	status=0; \
	ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS) || status=1; \
	for f in $$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' sanitizer/* 2>/dev/null); do \
		echo "== $$f"; head -60 "$$f"; status=1; \
	done; \
	exit $$status

# Unit tests (work pool, ticker, netio, logbook writer, SIP thread, API
# server, watcher, recorder...) and the integration tests that run the
# threaded daemon: SIP call handling and re-INVITEs, DTMF floor control, a
# recorded meeting (the room's media ticks, decoders, encoders and the
# recording writer). media_4legs is left out: no report under TSan, but its
# "does not hear itself" checks fail at TSan's speed (docs/reliability.md).
# Reports go to files (a daemon's report in a passing test is not lost)
# and fail the run; tests/tsan.supp lists third-party noise only.
test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DMCU_SANITIZE=thread >/dev/null
	cmake --build build-tsan -j $(JOBS)
	rm -rf build-tsan/sanitizer && mkdir -p build-tsan/sanitizer
	cd build-tsan && export TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp:halt_on_error=0:second_deadlock_stack=1:log_path=$(CURDIR)/build-tsan/sanitizer/tsan"; \
	status=0; \
	ctest --output-on-failure -L unit -j $(JOBS) $(CTEST_ARGS) || status=1; \
	ctest --output-on-failure -R '^integration\.(sip_dialin|sip_hold|sip_malformed|floor_dtmf|record)$$' $(CTEST_ARGS) || status=1; \
	if grep -l 'WARNING: ThreadSanitizer' sanitizer/* 2>/dev/null; then status=1; fi; \
	exit $$status

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DMCU_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	bash tests/fuzz/run-all.sh build-fuzz $${FUZZ_SECONDS:-600}

bench: build
	@for b in $(BUILD)/bench/*/bench_*; do [ -x $$b ] && $$b; done; true

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
