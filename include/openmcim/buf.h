/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A byte buffer that writers append to, growing on the heap or filling the
 * caller's memory (no allocation: the pure core's encoders), and that wipes
 * what it held: a block it leaves, when it grows or is freed, is cleansed
 * first, since record writers, configuration texts and answers carry keys,
 * OP and secrets (STYLE.md "cleanse secrets"). Growth never uses realloc,
 * which may leave the old block unwiped.
 *
 * The first failure sticks in err and later writes do nothing, so a writer
 * appends without checking and looks once at the end (om_buf_take). A
 * growable buffer's bytes are always followed by a NUL (not counted in len):
 * a text buffer is a C string. The caller's memory may be filled to its last
 * byte (an encoder's output is bytes), with a NUL after them while room is left.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

struct om_buf {
	uint8_t *p;   /* len bytes, then a NUL; NULL while empty and growable */
	size_t len;
	size_t cap;   /* bytes at p */
	size_t max;   /* at most this many bytes (len); 0: no limit */
	int err;      /* first failure: OM_ENOSPC (max or the caller's memory), OM_ENOMEM; a writer's own code */
	int fixed;    /* p is the caller's memory: never grown nor freed */
};

/* An empty growable buffer of at most max bytes (0: no limit). */
#define OM_BUF_INIT(max_) { .max = (max_) }

/* Write into the caller's mem (cap > 0 bytes): never grows nor allocates. */
void om_buf_fixed(struct om_buf *b, void *mem, size_t cap);

void om_buf_put(struct om_buf *b, const void *p, size_t n);
void om_buf_puts(struct om_buf *b, const char *s);
void om_buf_printf(struct om_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void om_buf_vprintf(struct om_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Room for n more bytes at b->p + b->len (and, growable, the NUL after them), for a
 * writer that fills them itself and then adds them to len; NULL with err set
 * when they cannot be had.
 */
uint8_t *om_buf_room(struct om_buf *b, size_t n);

/* The first failure, kept: later writes do nothing. */
void om_buf_fail(struct om_buf *b, int err);

/*
 * Hand the bytes over: *out (malloc'd, NUL after *len bytes; the caller
 * cleanses and frees it) and 0; or, after a failure, the buffer wiped and
 * freed and its err. An empty growable buffer gives an allocated "".
 */
OM_NODISCARD int om_buf_take(struct om_buf *b, uint8_t **out, size_t *len);

/* Wipe and free (a fixed buffer's memory is wiped, not freed); b is empty and reusable. */
void om_buf_free(struct om_buf *b);
