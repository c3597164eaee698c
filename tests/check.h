/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny assertion harness for the test programs. Every test program is a
 * main() that runs its cases with CHECK* macros and ends with
 * `return check_done();`, which prints "N passed, N failed" and gives the
 * exit status ctest reads. A failed CHECK prints where and why and carries on,
 * so one run shows every failure.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void check_record(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int check_done(void);
int check_failures(void);

/* Compare len bytes of got against the hex string want. */
int check_hex_eq(const uint8_t *got, size_t len, const char *want_hex, const char *file, int line,
		 const char *what);

#define CHECK(cond) check_record(!!(cond), __FILE__, __LINE__, #cond, NULL)
#define CHECK_MSG(cond, ...) check_record(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_INT(got, want)                                                                       \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		check_record(g_ == w_, __FILE__, __LINE__, #got " == " #want, "got %lld, want %lld", \
			     g_, w_);                                                              \
	} while (0)
#define CHECK_HEX(got, len, want_hex) check_hex_eq((got), (len), (want_hex), __FILE__, __LINE__, #got)
#define CHECK_MEM(a, b, len)                                                                      \
	check_record(memcmp((a), (b), (len)) == 0, __FILE__, __LINE__, #a " == " #b, NULL)

/* Fill buf with len bytes from the CSPRNG (aborts the test on failure). */
void check_random(uint8_t *buf, size_t len);

/* Read a whole file into a malloc'd buffer (NUL-terminated); NULL on error. */
unsigned char *check_slurp(const char *path, size_t *len);

/* 1 if needle (nl > 0 bytes) occurs anywhere in hay: a secret's bytes looked for in a file or a message. */
int check_has_bytes(const void *hay, size_t hl, const void *needle, size_t nl);

/* 1 if the file at path holds needle anywhere (0 if it cannot be read). */
int check_file_has(const char *path, const void *needle, size_t nl);

/* How many lines of text (NUL-terminated, may be NULL) hold both a and b: a log read for its events. */
unsigned check_lines_with(const char *text, const char *a, const char *b);

/*
 * A malloc'd copy of the text s with ins inserted right after the first
 * occurrence of at (a failed check and a plain copy if at is missing):
 * tests that alter a signed document use it.
 */
char *check_insert_after(const char *s, const char *at, const char *ins);
