# Katapult for WHMCS, native PHP extension.
#   make demo     the module's main job on the embedded default (simulator + client)
#   make test     every test suite, ending with "tests: N passed, N failed, N skipped"
#   make bench    ours against the PHP reference (BENCHMARKS.md); about 10 minutes
#   make profile  where our client-area call's own work goes (perf; part 4 of make bench alone)
#   make fuzz     each fuzz target for FUZZ_SECONDS (default 60); report in target/fuzz-report.json
#   make soak     500 services through faults, SIGKILLed crons and simulator restarts (RELIABILITY.md)
#   make install  WHMCS_DIR=/path/to/whmcs: build, install the extension, copy the module and its addon
SHELL := /bin/bash
EXT := target/release/libkatapult.so
SIM := target/release/katapult-sim
PHP_CONFIG ?= php-config

.PHONY: all deps build test bench profile soak fuzz demo stubs install lint clean

all: build

deps:
	@tests/tools/install-deps.sh

build: deps
	cargo build --release --workspace --features katapult/php

$(EXT) $(SIM): build

test: build
	@tests/tools/run-tests.sh

demo: build
	@tests/demo/run.sh

# Benchmarks: ours against the PHP reference, printed and written to target/bench/ (not in `make test`).
bench: build
	@tests/bench/run.sh

# The profile of make bench alone (perf, DWARF call graphs): where katapult_ClientArea's time goes.
profile: build
	@BENCH_SKIP="page footprint sync limited" tests/bench/run.sh

# The fault-and-crash soak at full size (RELIABILITY.md): 500 services on MariaDB.
soak: build
	@tests/soak/run.sh --mariadb --services=500 --fault-rounds=4

# Coverage-guided fuzzing (cargo fuzz, libFuzzer; installs cargo-fuzz when missing), not in
# `make test`: its corpus replays there (tests/fuzz_regressions.rs). FUZZ_SECONDS per target.
fuzz:
	@tests/tools/fuzz.sh

# Regenerates the IDE stubs from the built extension (the tests check they match).
stubs: build
	php -d extension=$(CURDIR)/$(EXT) tests/stubs/generate.php > stubs/katapult.stubs.php

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --features katapult/php -- -D warnings

# Installs into the PHP that php-config names and into a WHMCS installation.
install: build
	@test -n "$(WHMCS_DIR)" || { echo "usage: make install WHMCS_DIR=/path/to/whmcs [PHP_CONFIG=php-config8.2]"; exit 2; }
	@test -d "$(WHMCS_DIR)/modules/servers" || { echo "$(WHMCS_DIR) is not a WHMCS installation (no modules/servers)"; exit 2; }
	install -m 0644 $(EXT) "$$($(PHP_CONFIG) --extension-dir)/katapult.so"
	@ini_dir="$$(php --ini | sed -n 's/^Scan for additional .ini files in: //p')"; \
	  if [ -d /etc/php/$$($(PHP_CONFIG) --version | cut -d. -f1,2)/mods-available ] && command -v phpenmod >/dev/null; then \
	    printf 'extension=katapult\n' > /etc/php/$$($(PHP_CONFIG) --version | cut -d. -f1,2)/mods-available/katapult.ini; \
	    phpenmod katapult; \
	  elif [ -n "$$ini_dir" ] && [ -d "$$ini_dir" ]; then \
	    printf 'extension=katapult\n' > "$$ini_dir/50-katapult.ini"; \
	  else echo "add extension=katapult to your php.ini"; fi
	mkdir -p "$(WHMCS_DIR)/modules/servers/katapult"
	cp -RL module/. "$(WHMCS_DIR)/modules/servers/katapult/"
	mkdir -p "$(WHMCS_DIR)/modules/addons/katapult"
	cp -RL addon/. "$(WHMCS_DIR)/modules/addons/katapult/"
	@echo "installed: restart PHP-FPM (or your web server), then check: php --ri katapult"

clean:
	cargo clean
