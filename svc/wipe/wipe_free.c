/*
 * Every block the daemon frees is wiped first: freeDiameter's and GnuTLS's
 * buffers included (threats D.9, issue 20).
 *
 * The HSS's AIA is copied by freeDiameter into a send buffer (fd_msg_bufferize
 * in do_send) that it frees right after sending; the MME's received AIA sits
 * in a raw buffer that fd_msg_parse_dict frees after copying the values out.
 * No hook of freeDiameter 1.2.1 sees either buffer before its free(), and
 * GnuTLS's record buffers are its own (docs/s6a.md "Vectors in freeDiameter's
 * memory"). Defining free() and realloc() in the program interposes them for
 * every shared library the program loads (the executable comes first in the
 * global lookup scope), so each block is cleansed, to the size the allocator
 * gave it, before glibc takes it back.
 *
 * Linked only into the programs that carry vectors (openmcim-hss and
 * openmcim-vno, CMakeLists.txt), and not into sanitizer builds, which
 * interpose the allocator themselves. glibc's own internal frees (stdio
 * buffers) do not pass through here; they never hold vectors.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <malloc.h>
#include <stddef.h>
#include <string.h>

/* glibc's allocator under its exported implementation names (GLIBC_2.2.5) */
extern void __libc_free(void *p);
extern void *__libc_malloc(size_t n);

void free(void *p)
{
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	__libc_free(p);
}

/*
 * glibc's realloc frees a moved block internally, past free() above: a block
 * that must grow is moved here instead, and the old one freed (so wiped) by
 * free(). A block that already has room stays where it is.
 */
void *realloc(void *p, size_t n)
{
	size_t have;
	void *q;
	if (!p)
		return __libc_malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	have = malloc_usable_size(p);
	if (n <= have)
		return p;
	if (!(q = __libc_malloc(n)))
		return NULL;
	memcpy(q, p, have);
	free(p);
	return q;
}
