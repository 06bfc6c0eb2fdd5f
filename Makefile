# nix-mount-reap: a plain Makefile; pkg-config finds libmount, libsmartcols and SQLite.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
VERSION = 0.1.0

PKG_CONFIG ?= pkg-config
LIBS_PC = mount smartcols sqlite3

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wcast-qual -Wvla -Wconversion -Wno-sign-conversion
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DNMR_VERSION='"$(VERSION)"' -Iinclude $(WARNINGS) \
	$(shell $(PKG_CONFIG) --cflags $(LIBS_PC)) $(CFLAGS)
ALL_LDLIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC)) $(LDLIBS)

LIB_SRCS = src/drvfile.c src/instance.c src/judge.c src/liveness.c src/locks.c src/log.c \
	src/mounttab.c src/nixstate.c src/nsjoin.c src/options.c src/procscan.c src/reap.c \
	src/reason.c src/report.c src/run.c src/seen.c src/shape.c src/storedb.c src/util.c \
	src/waits.c
LIB_OBJS = $(LIB_SRCS:.c=.o)
HEADERS = $(wildcard include/*.h)

all: nix-mount-reap

nix-mount-reap: src/main.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ src/main.o $(LIB_OBJS) $(ALL_LDLIBS)

tests/unit: tests/unit.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ tests/unit.o $(LIB_OBJS) $(ALL_LDLIBS)

%.o: %.c $(HEADERS)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The same sources built with AddressSanitizer and UndefinedBehaviorSanitizer,
# which the memory-check test runs beside valgrind.
SANITIZE = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
nix-mount-reap-asan: src/main.c $(LIB_SRCS) $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -o $@ src/main.c $(LIB_SRCS) $(ALL_LDLIBS)

tests/unit-asan: tests/unit.c $(LIB_SRCS) $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -o $@ tests/unit.c $(LIB_SRCS) $(ALL_LDLIBS)

check: nix-mount-reap tests/unit nix-mount-reap-asan tests/unit-asan
	sh tests/run

install: nix-mount-reap
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 nix-mount-reap $(DESTDIR)$(SBINDIR)/nix-mount-reap
	install -m 0644 man/nix-mount-reap.8 $(DESTDIR)$(MANDIR)/man8/nix-mount-reap.8

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/nix-mount-reap $(DESTDIR)$(MANDIR)/man8/nix-mount-reap.8

clean:
	rm -f nix-mount-reap nix-mount-reap-asan tests/unit tests/unit-asan src/*.o tests/*.o

.PHONY: all check install uninstall clean
