/* SPDX-License-Identifier: Apache-2.0 */
/* The per-source group of an address (source_group.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "source_group.h"

void om_source_group(const char *addr, char *out, size_t cap)
{
	struct in6_addr a;
	char net[INET6_ADDRSTRLEN], bare[INET6_ADDRSTRLEN];
	/* a link-local peer's text may carry its zone ("fe80::1%eth0", RFC 4007) */
	snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(addr, "%"), addr);
	if (strchr(bare, ':') && inet_pton(AF_INET6, bare, &a) == 1 && !IN6_IS_ADDR_V4MAPPED(&a)) {
		memset(a.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a, net, sizeof(net))) {
			snprintf(out, cap, "%s/64", net);
			return;
		}
	}
	snprintf(out, cap, "%s", addr);
}
