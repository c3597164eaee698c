/* SPDX-License-Identifier: Apache-2.0 */
/* A growable, self-wiping byte buffer (include/openmcim/buf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/buf.h>

#define FIRST_CAP 1024

void om_buf_fixed(struct om_buf *b, void *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->p = mem;
	b->cap = cap;
	b->fixed = 1;
	if (!mem || !cap)
		b->err = OM_EINVAL;
	else
		b->p[0] = '\0';
}

void om_buf_fail(struct om_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* cap >= need + 1, copying by hand so the old block is wiped before it is freed. */
static int grow(struct om_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : FIRST_CAP;
	while (cap < need + 1) {
		if (cap > SIZE_MAX / 2)
			return OM_ENOMEM;
		cap *= 2;
	}
	uint8_t *q = malloc(cap);
	if (!q)
		return OM_ENOMEM;
	if (b->p) {
		memcpy(q, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = q;
	b->cap = cap;
	return 0;
}

uint8_t *om_buf_room(struct om_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > SIZE_MAX - 1 - b->len || (b->max && b->len + n > b->max)) {
		b->err = OM_ENOSPC;
		return NULL;
	}
	/* a growable buffer keeps room for the NUL; the caller's memory may be filled to its end */
	if (b->len + n + !b->fixed > b->cap) {
		int rc = b->fixed ? OM_ENOSPC : grow(b, b->len + n);
		if (rc < 0) {
			b->err = rc;
			return NULL;
		}
	}
	return b->p + b->len;
}

void om_buf_put(struct om_buf *b, const void *p, size_t n)
{
	uint8_t *d = om_buf_room(b, n);
	if (!d)
		return;
	if (n)
		memcpy(d, p, n);
	b->len += n;
	if (b->len < b->cap)
		b->p[b->len] = '\0';
}

void om_buf_puts(struct om_buf *b, const char *s)
{
	om_buf_put(b, s, strlen(s));
}

void om_buf_vprintf(struct om_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = b->err ? 0 : vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		om_buf_fail(b, OM_EINVAL);
	/* vsnprintf writes the NUL too: the caller's memory needs room for it */
	uint8_t *d = n > 0 ? om_buf_room(b, (size_t)n + (size_t)b->fixed) : NULL;
	if (!d)
		return;
	vsnprintf((char *)d, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void om_buf_printf(struct om_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	om_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

int om_buf_take(struct om_buf *b, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!b->err && b->fixed)
		om_buf_fail(b, OM_EINVAL); /* the caller's memory is not ours to hand over */
	if (!b->err && !b->p && grow(b, 0) < 0)
		om_buf_fail(b, OM_ENOMEM);
	if (b->err) {
		int rc = b->err;
		om_buf_free(b);
		return rc;
	}
	b->p[b->len] = '\0';
	*out = b->p;
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return 0;
}

void om_buf_free(struct om_buf *b)
{
	if (b->p)
		OPENSSL_cleanse(b->p, b->cap);
	if (!b->fixed)
		free(b->p);
	size_t max = b->max;
	memset(b, 0, sizeof(*b));
	b->max = max;
}
