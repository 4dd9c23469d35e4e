# Accelerated SMMUv3 for QEMU: the patch series and its tooling.
# See README.md.  Every target installs what it needs (scripts/setup/deps.sh).

SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help deps base apply export series-check build check quick \
        test-series test-qemu libvirt e2e soak bench compare fuzz demo clean

help:
	@echo "make demo          build what is missing and run the end-to-end demo"
	@echo "make check         run every test (series, QEMU's tests, libvirt, e2e, demo);"
	@echo "                   a test that passed with the same inputs is not run again"
	@echo "                   (SMMU_CHECK_FRESH=1 runs every one)"
	@echo "make quick         the inner loop: the changed patches' hygiene, the unit test and arm-smmuv3-test"
	@echo "make apply         QEMU work tree in qemu/: base + one commit per patch"
	@echo "make export        write the work tree's commits back to patches/"
	@echo "make series-check  fail if qemu/ and patches/ disagree"
	@echo "make build         build qemu-system-aarch64 and test binaries (build/)"
	@echo "make test-series   make check's series group only (every patch built and tested)"
	@echo "make test-qemu     make check's qemu group only (QEMU's tests on the whole series, L0's qtest)"
	@echo "make libvirt       sid's libvirt 12.8 driving the series' QEMU (in make check)"
	@echo "make e2e           run the end-to-end testbed scenarios (in make check)"
	@echo "make soak          the lifecycle scenarios with their full loop counts"
	@echo "make bench         the benchmarks (figures only)"
	@echo "make compare       the series' QEMU and Debian's QEMU 11.1 side by side in L1 (table only)"
	@echo "make fuzz          libFuzzer on the accel=on rules and QEMU's generic-fuzz on the vSMMU (FUZZ_SECONDS, default 3600; not in make check)"
	@echo "make deps, base    the Debian packages; the base QEMU source in the cache"
	@echo "make clean         remove build/ (the cache, ~/.cache/smmuv3-accel, stays)"

deps:
	@scripts/setup/deps.sh build

base: deps
	@scripts/setup/fetch-base.sh

apply: deps
	@scripts/series/apply.sh

export:
	@scripts/series/export.sh

series-check:
	@scripts/series/in-sync.sh

build: deps
	@[ -d qemu/.git ] || scripts/series/apply.sh
	@scripts/build/qemu.sh

check:
	@scripts/check.sh

quick:
	@scripts/quick.sh

test-series:
	@scripts/check.sh series

test-qemu:
	@scripts/check.sh qemu

libvirt:
	@scripts/check.sh libvirt

e2e:
	@scripts/check.sh e2e

# The lifecycle loops at full length: 20 hotplug cycles, 20 reboots/resets
soak:
	@E2E_HOTPLUG_CYCLES=20 E2E_REBOOT_CYCLES=20 testbed/run.sh \
	    accel-hotplug accel-reboot-loop accel-cmdqv-hotplug

bench:
	@scripts/bench/bench.sh

# The series' QEMU next to Debian's QEMU 11.1 with KVM in L1 (not in make
# check): the scenario compare, then its table
compare:
	@testbed/run.sh compare; rc=$$?; \
	 cat logs/e2e/compare/table 2>/dev/null || echo "compare: no table"; exit $$rc

# FUZZ_SECONDS (default an hour of one core) shared by the rules' harness
# and generic-fuzz's three configurations of virt, a quarter each
fuzz:
	@q=$$(( $${FUZZ_SECONDS:-3600} / 4 )); [ $$q -gt 0 ] || q=1; rc=0; \
	 scripts/fuzz/rules.sh $$q || rc=1; \
	 scripts/fuzz/generic.sh $$q || rc=1; exit $$rc

demo:
	@scripts/demo/demo.sh

clean:
	rm -rf build
