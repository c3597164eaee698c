/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The freeDiameter configuration both daemons generate (docs/s6a.md
 * "Transport security"). One writer, so that the HSS and the VNO cannot
 * drift apart on what protects S6a:
 *
 *   - TLS (RFC 6733 13, TS 33.210 NDS/IP) on the one port we listen on
 *     (SecPort; the clear Port is 0), with TLS_Cred/TLS_CA[/TLS_CRL];
 *     outgoing peers are connected over TLS and freeDiameter checks that
 *     their certificate names their Diameter identity. Clear TCP only when
 *     the configuration says `tls = off`, for a loopback lab.
 *   - NoRelay: we serve S6a and nothing else, so the relay application
 *     (0xffffffff) is not advertised and nothing is forwarded.
 *   - ListenOn: the address we listen on is the Host-IP-Address of our
 *     CER/CEA (freeDiameter otherwise advertises what it finds), loopback
 *     included (om_s6a_conf_listen).
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "s6a_avp.h"

int om_s6a_conf_write(FILE *f, const struct om_s6a_fdconf *c)
{
	static const char *const dicts[] = { "dict_nasreq", "dict_dcca", "dict_dcca_3gpp" };
	if (!f || !c || !c->identity || !c->realm || !c->listen || !c->dict_dir)
		return -1;
	if (!c->tls_off && (!c->tls_cert || !c->tls_key || !c->tls_ca))
		return -1;
	fprintf(f, "Identity = \"%s\";\nRealm = \"%s\";\nListenOn = \"%s\";\n", c->identity, c->realm, c->listen);
	/* Port 0 and SecPort 0: no server at all (an MME only connects out). */
	fprintf(f, "Port = %u;\nSecPort = %u;\nNo_SCTP;\nNo_IPv6;\nNoRelay;\n", c->tls_off ? c->port : 0u,
		c->tls_off ? 0u : c->port);
	fprintf(f, "AppServThreads = %u;\nTcTimer = 2;\n", c->app_threads ? c->app_threads : 4u);
	if (c->tls_off) {
		fprintf(f, "# tls = off: clear TCP, for a loopback lab only (TS 33.210 requires NDS/IP protection).\n");
	} else {
		fprintf(f, "TLS_Cred = \"%s\", \"%s\";\nTLS_CA = \"%s\";\n", c->tls_cert, c->tls_key, c->tls_ca);
		if (c->tls_crl && *c->tls_crl)
			fprintf(f, "TLS_CRL = \"%s\";\n", c->tls_crl);
	}
	/* dict_dcca_3gpp needs dict_dcca, which needs dict_nasreq: this order. */
	for (size_t i = 0; !c->dicts_own && i < sizeof(dicts) / sizeof(dicts[0]); i++)
		fprintf(f, "LoadExtension = \"%s/%s.fdx\";\n", c->dict_dir, dicts[i]);
	return ferror(f) ? -1 : 0;
}

void om_s6a_conf_peer(FILE *f, const char *identity, const char *host, unsigned port, int tls_off)
{
	/* Without No_TLS freeDiameter handshakes right after connecting and checks the
	 * server's certificate against identity (gnutls_x509_crt_check_hostname). */
	fprintf(f, "ConnectPeer = \"%s\" { ConnectTo = \"%s\"; Port = %u;%s };\n", identity, host, port,
		tls_off ? " No_TLS;" : "");
}

int om_s6a_conf_tls(const char *v)
{
	if (!v || !strcmp(v, "on"))
		return 0;
	return strcmp(v, "off") ? -1 : 1;
}

/*
 * freeDiameter 1.2.1's parser passes ListenOn through fd_ep_add_merge without
 * EP_ACCEPTALL, which drops a loopback address: the core then listens on
 * every interface and advertises whatever address the host has (192.0.2.2
 * on the lab machine) as Host-IP-Address in CER/CEA (RFC 6733 5.3.5), not
 * the address configured (issue 19). Each ListenOn of fd_conf goes back into
 * the endpoint list with EP_ACCEPTALL, so the server binds there and our
 * CER/CEA carry it; an address the parser kept is merged, not doubled.
 */
int om_s6a_conf_listen(const char *fd_conf)
{
	char line[512], addr[256];
	int rc = 0;
	FILE *f = fopen(fd_conf, "r");
	if (!f)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " ListenOn = \"%255[^\"]\"", addr) != 1)
			continue;
		struct addrinfo hints = { .ai_family = fd_g_config->cnf_flags.no_ip6 ? AF_INET : AF_UNSPEC,
					  .ai_socktype = SOCK_STREAM };
		struct addrinfo *ai = NULL;
		if (getaddrinfo(addr, NULL, &hints, &ai) || !ai) {
			rc = -1;
			break;
		}
		if (fd_ep_add_merge(&fd_g_config->cnf_endpoints, ai->ai_addr, ai->ai_addrlen, EP_FL_CONF | EP_ACCEPTALL))
			rc = -1;
		freeaddrinfo(ai);
	}
	fclose(f);
	return rc;
}
