# Katapult for WHMCS, native PHP extension.
#   make demo     the module's main job on the embedded default (simulator + client)
#   make test     every test suite, ending with "tests: N passed, N failed, N skipped"
#   make bench    ours against the PHP reference (BENCHMARKS.md); about 10 minutes
#   make profile  where our client-area call's own work goes (perf; part 4 of make bench alone)
#   make fuzz     each fuzz target for FUZZ_SECONDS (default 60); report in target/fuzz-report.json
#   make soak     500 services through faults, SIGKILLed crons and simulator restarts (RELIABILITY.md)
#   make cluster  300 services through two web nodes on a 3-node MariaDB Galera cluster (RELIABILITY.md)
#   make install  [WHMCS_DIR=/path/to/whmcs]: build, then the release's install.sh (extension, module)
#   make dist     the release tarball, the PIE asset and the .deb in target/dist/ (PHP_CONFIG= for another PHP)
SHELL := /bin/bash
EXT := target/release/libkatapult.so
SIM := target/release/katapult-sim
PHP_CONFIG ?= php-config

.PHONY: all deps build test bench profile soak cluster fuzz demo stubs install dist lint clean

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

# Scale-out (RELIABILITY.md): two web nodes and their crons on a private three-node Galera cluster,
# one Galera node killed and rejoined; the report in target/cluster/report.json.
cluster: build
	@tests/cluster/run.sh --services=300 --node-kill --races=100

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

# Installs into the PHP that php-config names, and into a WHMCS installation when WHMCS_DIR is
# given: the release make dist makes, by its own install.sh, as a provider installs it.
install: dist
	@rm -rf target/dist/unpacked && mkdir target/dist/unpacked
	tar xzf target/dist/katapult-whmcs-*.tar.gz -C target/dist/unpacked
	target/dist/unpacked/katapult-whmcs-*/install.sh --php="$$($(PHP_CONFIG) --php-binary)" $(WHMCS_DIR)

# The release artefacts for the PHP that PHP_CONFIG names (packaging/dist.sh says what each holds).
dist: build
	@PHP_CONFIG=$(PHP_CONFIG) packaging/dist.sh

clean:
	cargo clean
