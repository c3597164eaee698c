# A thin front for CMake. The two commands a newcomer needs:
#   make demo   build and run the demonstration: the lab (`openmcim lab`, docs/lab.md)
#   make test   build and run every test
# Both first install the Debian packages they need when run as root (`make deps`,
# scripts/deps.sh). `make build` (and CMake) never installs anything: on a
# machine without the packages it stops at the missing one.

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo sanitize fuzz bench deb clean

all: build

deps:
	@scripts/deps.sh test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# DEMO_ARGS go to `openmcim lab` (e.g. DEMO_ARGS="--devices 1000 --keep"); OM_DEMO_DEVICES sets N.
DEMO_ARGS ?=
demo: deps
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)/openmcim $(DEMO_ARGS)

# The same tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B $(BUILD)-asan -G Ninja -DOM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS)

# Each libFuzzer target for FUZZ_SECONDS (default 30).
FUZZ_SECONDS ?= 30
fuzz:
	@scripts/deps.sh fuzz
	CC=clang cmake -S . -B $(BUILD)-fuzz -G Ninja -DOM_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_targets
	@scripts/fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

# The Debian packages (debian/) from a copy of the tracked files, and lintian on
# them: any error fails. The .deb files end up in $(BUILD)-deb/.
deb:
	@scripts/deps.sh deb
	rm -rf $(BUILD)-deb && mkdir -p $(BUILD)-deb/openmcim
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C $(BUILD)-deb/openmcim
	cd $(BUILD)-deb/openmcim && dpkg-buildpackage -b -us -uc
	lintian --fail-on error $(BUILD)-deb/*.changes

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(BUILD)-deb
