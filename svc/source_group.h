/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The group a client address is counted in by the per-source bounds (the
 * HTTP servers' max_conns_per_source, the owner API's failure counts): an
 * IPv4 address (or an IPv4-mapped IPv6 one) alone, an IPv6 address by its
 * /64, since one host is given a whole /64 and picks any address in it
 * (RFC 6177, RFC 8981). The same text for every address of one group.
 */
#ifndef OM_SVC_SOURCE_GROUP_H
#define OM_SVC_SOURCE_GROUP_H

#include <stddef.h>

#include <netinet/in.h>

/* an IPv6 address text, "/64" and the NUL */
#define OM_SOURCE_GROUP_MAX (INET6_ADDRSTRLEN + 4)

/* The group of addr (numeric text) into out: "net::/64" for IPv6, else addr as given. */
void om_source_group(const char *addr, char *out, size_t cap);

#endif
