# sockkit - one plain Makefile.
#
#   make              build ./sockkit
#   make deps         install what the tests need (Debian, as root)
#   make test         unit (cmocka) and integration tests
#   make sanitize     the same tests again, built with ASan and UBSan
#   make memcheck     the unit tests under valgrind, failing on any leak
#   make abuse        the abuse suite alone, with its figures
#   make abuse-memcheck  ...with every server under valgrind
#   make test-browser headless Chromium renders what http serves
#   make lint         warnings (gcc, clang, musl; -Werror), cppcheck, clang-tidy
#   make musl         a static musl build, integration-tested
#   make check        test + sanitize + memcheck + abuse-memcheck
#                     + test-browser + fuzz-smoke + lint + musl (what CI runs)
#   make fuzz         libFuzzer harnesses in build-fuzz/ (clang)
#   make fuzz-smoke   run each harness briefly (FUZZ_SECS, default 20)
#   make bench-deps   install the peers the benchmarks compare against
#   make bench        run bench/ (a few minutes; figures in docs/benchmarks.md)
#   make install      PREFIX=/usr/local DESTDIR=
#   make dist         sockkit-VERSION.tar.gz from git
#   make clean

VERSION	= 0.1.0
CC	?= cc
PREFIX	?= /usr/local
BINDIR	= $(PREFIX)/bin
MANDIR	= $(PREFIX)/share/man/man1

CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Wpedantic -Wshadow -Wconversion
# The project's own flags come after the user's, so CFLAGS=... never drops
# the language level, the headers or the warnings.
ALL_CFLAGS = $(CFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARN) \
	-Iinclude -DSOCKKIT_VERSION='"$(VERSION)"'
AR	?= ar

B	= build
CORE_SRC = $(wildcard src/core/*.c)
CMD_SRC	= $(wildcard src/cmd/*.c)
CORE_OBJ = $(CORE_SRC:src/%.c=$(B)/%.o)
# help.o: the man page rendered to text for "sockkit help COMMAND".
CMD_OBJ	= $(CMD_SRC:src/%.c=$(B)/%.o) $(B)/cmd/help.o
LIB	= $(B)/libsockkit.a
HDRS	= $(wildcard include/sockkit/*.h src/core/*.h src/cmd/*.h)

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TEST_LIBS = -lcmocka

.PHONY: all deps test unit integration sanitize test-san memcheck check \
	test-browser fuzz-smoke lint warnings musl dist abuse abuse-memcheck \
	fuzz bench bench-deps install clean

all: sockkit

sockkit: $(CMD_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIB)

$(B)/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/cmd/help.c: docs/sockkit.1 tools/mkhelp.awk
	@mkdir -p $(@D)
	awk -f tools/mkhelp.awk docs/sockkit.1 >$@.tmp && mv $@.tmp $@

$(B)/cmd/help.o: $(B)/cmd/help.c src/cmd/cmd.h
	$(CC) $(ALL_CFLAGS) -Isrc/cmd -c -o $@ $(B)/cmd/help.c

$(LIB): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $(CORE_OBJ)

$(B)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) \
	    $(TEST_LIBS)

# Installs the test dependencies from Debian's packages when one is missing.
deps:
	@sh tests/deps.sh

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

integration: sockkit
	@sh tests/integration/run.sh ./sockkit

test: unit integration

# A separate tree, so sanitized objects never mix with the normal ones.
sanitize:
	$(MAKE) B=build-san CC=clang \
	    CFLAGS="-O1 -g -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" \
	    test-san

test-san: $(UNIT_BIN) $(B)/sockkit
	@sh tests/run-unit.sh $(UNIT_BIN)
	@sh tests/integration/run.sh ./$(B)/sockkit

$(B)/sockkit: $(CMD_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIB)

# The abuse suite alone, with its figures in $(B)/abuse.txt (what
# docs/reliability.md reports).  make test runs it too, quietly.
abuse: sockkit
	@mkdir -p $(B) && rm -f $(B)/abuse.txt
	@ABUSE_REPORT=$(CURDIR)/$(B)/abuse.txt \
	    sh tests/integration/run.sh ./sockkit t_abuse
	@cat $(B)/abuse.txt

# The abuse suite again with every server under valgrind memcheck (about
# a minute), failing on any error or leak.
abuse-memcheck: sockkit
	@ABUSE_VALGRIND=1 sh tests/integration/run.sh ./sockkit t_abuse

memcheck: $(UNIT_BIN)
	@VALGRIND=1 sh tests/run-unit.sh $(UNIT_BIN)

test-browser: sockkit
	@sh tests/browser/run.sh ./sockkit

# cppcheck and clang-tidy (the check list is in .clang-tidy), both must
# be clean.
TIDY_FLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -pthread -Iinclude -Isrc/cmd \
	-DSOCKKIT_VERSION='"$(VERSION)"'
# The whole warning set as errors, under gcc and clang for the product
# and the unit tests, and under musl-gcc (its headers differ) for the
# product.  Part of make lint.
warnings:
	@for c in gcc clang; do \
	    $(MAKE) -s B=build-warn/$$c CC=$$c CFLAGS="-O2 -Werror" \
	        build-warn/$$c/sockkit \
	        $(UNIT_SRC:tests/unit/%.c=build-warn/$$c/tests/%) || exit 1; \
	done
	@if command -v musl-gcc >/dev/null; then \
	    $(MAKE) -s B=build-warn/musl CC=musl-gcc CFLAGS="-O2 -Werror" \
	        build-warn/musl/sockkit || exit 1; \
	fi; echo "warnings: gcc, clang and musl-gcc clean with $(WARN)"

lint: warnings
	cppcheck --quiet --enable=warning,portability,performance --std=c11 \
	    -Iinclude -D__linux__ --inline-suppr --error-exitcode=1 \
	    src tests/unit tests/fuzz
	@for f in $(CORE_SRC) $(CMD_SRC); do \
	    clang-tidy --quiet $$f -- $(TIDY_FLAGS) 2>/dev/null || exit 1; \
	done; echo "lint: cppcheck and clang-tidy clean"

# A static binary against musl (musl-gcc), and the integration tests on it.
musl:
	$(MAKE) B=build-musl CC=musl-gcc CFLAGS="-O2" LDFLAGS=-static \
	    build-musl/sockkit
	@file build-musl/sockkit | grep -q 'statically linked' || \
	    { echo "musl: not a static binary"; exit 1; }
	@sh tests/integration/run.sh ./build-musl/sockkit

check: test sanitize memcheck abuse-memcheck test-browser fuzz-smoke lint musl

# One binary per tests/fuzz/fuzz_<parser>.c, built with clang's libFuzzer
# over the core sources.  Run one on a scratch copy of its seeds, since
# libFuzzer adds what it finds to the first directory it is given:
#   cp -r tests/fuzz/corpus/frame /tmp/c && build-fuzz/fuzz_frame /tmp/c
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
	-D_POSIX_C_SOURCE=200809L -pthread $(WARN) -Iinclude

fuzz: $(FUZZ_BIN)

# Each harness for FUZZ_SECS (default 20) on a scratch copy of its seeds;
# any crash fails the run.  Part of make check.
FUZZ_SECS ?= 20
fuzz-smoke: $(FUZZ_BIN)
	@sh tests/fuzz/smoke.sh $(FUZZ_SECS) $(FUZZ_BIN)

build-fuzz/%: tests/fuzz/%.c $(CORE_SRC) $(HDRS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRC)

bench-deps:
	@sh bench/deps.sh

bench: sockkit
	@sh bench/bulk.sh
	@sh bench/reqrate.sh
	@sh bench/chat.sh
	@sh bench/idle.sh
	@sh bench/fileserve.sh
	@sh bench/http.sh
	@sh bench/ipcalc.sh

install: sockkit
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	cp sockkit $(DESTDIR)$(BINDIR)/sockkit
	chmod 755 $(DESTDIR)$(BINDIR)/sockkit
	cp docs/sockkit.1 $(DESTDIR)$(MANDIR)/sockkit.1
	chmod 644 $(DESTDIR)$(MANDIR)/sockkit.1
	mkdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	cp contrib/sockkit.bash \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sockkit
	cp contrib/_sockkit $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sockkit

# A versioned source tarball of what git tracks: sockkit-VERSION.tar.gz.
dist:
	git archive --format=tar.gz --prefix=sockkit-$(VERSION)/ \
	    -o sockkit-$(VERSION).tar.gz HEAD
	@echo "dist: sockkit-$(VERSION).tar.gz"

clean:
	rm -rf build build-san build-fuzz build-musl build-warn sockkit sockkit-*.tar.gz
