/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-agent: one device, from power-on to rest (agent/agent.h,
 * docs/agent.md).
 *
 *   openmcim-agent -c agent.conf
 *
 * Reads [agent] (conf/agent.conf.example documents every key), runs
 * om_agent_run() once and logs one line per event on stderr. Exit status:
 * 0 PROVISIONED, IDLE or FELL_BACK; 3 REFUSED; 1 an error (the TRE's state
 * is durable: run it again to resume); 2 a bad command line or configuration.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <openssl/crypto.h>

#include "agent.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"

#ifndef OPENMCIM_VERSION
#define OPENMCIM_VERSION "dev"
#endif

static const char usage[] = "usage: openmcim-agent -c FILE | --config FILE\n"
			    "  Runs the device whose TRE is [agent] tre_dir until it rests: attach through the\n"
			    "  VNO, take a pushed bootstrap, run the OMA DM session with the DPF, install, activate\n"
			    "  and attach with the new MCIM, report and confirm, or fall back (TR 33.812 B.2.3).\n"
			    "  Exit status: 0 provisioned, idle or fell back; 3 refused; 1 error; 2 bad configuration.\n";

static const struct om_conf_key keys[] = {
	{ "agent", "tre_dir", 1 },   { "agent", "vno", 1 },	  { "agent", "dm_ca", 1 },
	{ "agent", "wait_push", 0 }, { "agent", "fallback", 0 },  { "agent", "net_timeout", 0 },
	{ "agent", "retries", 0 },   { "agent", "retry_min", 0 }, { "agent", "retry_max", 0 },
	{ "agent", "log_level", 0 }, { "agent", "tre_backend", 0 }, { "agent", "tpm_tcti", 0 },
	{ "agent", "p11_module", 0 }, { "agent", "p11_token", 0 }, { "agent", "p11_pin_file", 0 },
	{ "agent", "app_params", 0 },
	{ "agent", "aas_url", 0 },   { "agent", "aas_pin", 0 },
	{ "agent", "signer_status_max_age", 0 },
};

/*
 * The TRE's backend and where its hardware is (docs/tre.md "Backends"):
 * only from here, never from the TRE directory. The PIN from a file of its
 * own, read into pin. 0 or -1 with the message on stderr.
 */
static int load_tre(const struct om_conf *c, const char *path, struct om_tre_backend *be, char pin[static 256])
{
	const char *kind = om_conf_str(c, "agent", "tre_backend", "soft");
	const char *tcti = om_conf_get(c, "agent", "tpm_tcti"), *module = om_conf_get(c, "agent", "p11_module"),
		   *token = om_conf_get(c, "agent", "p11_token"), *pin_file = om_conf_get(c, "agent", "p11_pin_file");
	memset(be, 0, sizeof(*be));
	if (om_tre_backend_parse(kind, &be->kind) < 0) {
		fprintf(stderr, "openmcim-agent: %s: [agent] tre_backend must be soft, tpm or pkcs11\n", path);
		return -1;
	}
	if (tcti && be->kind != OM_TRE_BACKEND_TPM) {
		fprintf(stderr, "openmcim-agent: %s: [agent] tpm_tcti only with tre_backend = tpm\n", path);
		return -1;
	}
	if ((module || token || pin_file) && be->kind != OM_TRE_BACKEND_PKCS11) {
		fprintf(stderr, "openmcim-agent: %s: [agent] p11_* only with tre_backend = pkcs11\n", path);
		return -1;
	}
	be->tpm_tcti = tcti;
	if (be->kind != OM_TRE_BACKEND_PKCS11)
		return 0;
	FILE *f = pin_file ? fopen(pin_file, "r") : NULL;
	int ok = module && token && f && fgets(pin, 256, f);
	if (f)
		fclose(f);
	pin[ok ? strcspn(pin, "\r\n") : 0] = 0;
	if (!pin[0]) {
		fprintf(stderr, "openmcim-agent: %s: [agent] tre_backend = pkcs11 needs p11_module, p11_token and a "
				"p11_pin_file holding the PIN\n", path);
		return -1;
	}
	be->p11_module = module;
	be->p11_token = token;
	be->p11_pin = pin;
	return 0;
}

static void on_event(void *arg, const char *tre_id, const char *step, const char *detail)
{
	(void)arg;
	int bad = !strcmp(step, "refused") || !strcmp(step, "bootstrap-refused") || !strcmp(step, "fell-back");
	om_log(bad ? OM_LOG_NOTICE : OM_LOG_INFO, step, "tre_id=%s %s", tre_id, detail);
}

/* "127.0.0.1:7001" into host (dotted quad) and port. */
static int split_hostport(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	char *end = NULL;
	if (!colon || (size_t)(colon - s) >= cap)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (inet_pton(AF_INET, host, &a) != 1 || !*(colon + 1) || *end || p == 0 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int load(const char *path, struct om_agent_config *cfg, char *host, size_t host_cap, struct om_conf **out,
		int *log_level, char pin[static 256])
{
	char err[512];
	uint64_t v;
	struct om_conf *c = om_conf_load(path, keys, sizeof(keys) / sizeof(keys[0]), err, sizeof(err));
	if (!c) {
		fprintf(stderr, "openmcim-agent: %s\n", err);
		return -1;
	}
	*out = c;
	cfg->tre_dir = om_conf_get(c, "agent", "tre_dir");
	if (load_tre(c, path, &cfg->tre, pin))
		return -1;
	cfg->dm_ca_file = om_conf_get(c, "agent", "dm_ca");
	/* where the application parameters a DPF sets are kept for the terminal's application (docs/agent.md) */
	cfg->app_params_path = om_conf_get(c, "agent", "app_params");
	/* the application activation server the factory configured (docs/agent.md "Application activation") */
	cfg->aas_url = om_conf_get(c, "agent", "aas_url");
	cfg->aas_pin = om_conf_get(c, "agent", "aas_pin"); /* its key, pinned by the factory */
	/* one network, or an ordered list tried until one accepts (docs/agent.md "Networks") */
	static char hosts[OM_AGENT_NETWORKS_MAX][48], names[OM_AGENT_NETWORKS_MAX][16];
	static struct om_agent_network nets[OM_AGENT_NETWORKS_MAX];
	char list[OM_AGENT_NETWORKS_MAX * 48];
	size_t n = 0;
	snprintf(list, sizeof(list), "%s", om_conf_get(c, "agent", "vno"));
	for (char *save = NULL, *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		if (n == OM_AGENT_NETWORKS_MAX || split_hostport(t, hosts[n], sizeof(hosts[n]), &nets[n].port)) {
			fprintf(stderr, "openmcim-agent: %s: [agent] vno must be IPv4:port[, IPv4:port ...] (at most %d), not '%s'\n",
				path, OM_AGENT_NETWORKS_MAX, om_conf_get(c, "agent", "vno"));
			return -1;
		}
		snprintf(names[n], sizeof(names[n]), "vno-%zu", n + 1);
		nets[n].host = hosts[n];
		nets[n].name = names[n];
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "openmcim-agent: %s: [agent] vno is empty\n", path);
		return -1;
	}
	snprintf(host, host_cap, "%s", hosts[0]);
	cfg->vno_host = host;
	cfg->vno_port = nets[0].port;
	if (n > 1) {
		cfg->networks = nets;
		cfg->n_networks = n;
	}
	const char *wp = om_conf_get(c, "agent", "wait_push");
	if (wp && !strcmp(wp, "forever")) {
		cfg->wait_push_ms = -1;
	} else {
		if (om_conf_uint(c, "agent", "wait_push", 0, 0, 86400000, &v, err, sizeof(err)))
			goto bad;
		cfg->wait_push_ms = (int)v;
	}
	if (om_conf_uint(c, "agent", "fallback", 0, 0, 30 * 86400, &v, err, sizeof(err)))
		goto bad;
	cfg->fallback_s = (uint32_t)v;
	/* spec/000 5.2.2.3.2 step 7: 0 (the default) accepts a bootstrap without its signer's status */
	if (om_conf_uint(c, "agent", "signer_status_max_age", 0, 0, 30 * 86400, &v, err, sizeof(err)))
		goto bad;
	cfg->signer_status_max_age_s = (uint32_t)v;
	if (om_conf_uint(c, "agent", "net_timeout", 10000, 100, 600000, &v, err, sizeof(err)))
		goto bad;
	cfg->net_timeout_ms = (int)v;
	if (om_conf_uint(c, "agent", "retries", 8, 1, 1000, &v, err, sizeof(err)))
		goto bad;
	cfg->retries = (unsigned)v;
	if (om_conf_uint(c, "agent", "retry_min", 200, 1, 600000, &v, err, sizeof(err)))
		goto bad;
	cfg->retry_min_ms = (unsigned)v;
	if (om_conf_uint(c, "agent", "retry_max", 5000, 1, 600000, &v, err, sizeof(err)))
		goto bad;
	cfg->retry_max_ms = (unsigned)v;
	*log_level = om_log_level_parse(om_conf_str(c, "agent", "log_level", "info"));
	if (*log_level < 0) {
		fprintf(stderr, "openmcim-agent: %s: [agent] log_level must be debug, info, notice or error\n", path);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "openmcim-agent: %s\n", err);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct om_daemon self = { .name = "agent", .version = OPENMCIM_VERSION, .usage = usage };
	const char *conf_path = NULL;
	struct om_agent_config cfg = { .on_event = on_event };
	struct om_agent_result res;
	struct om_conf *conf = NULL;
	char host[64], pin[256] = "";
	int level = OM_LOG_INFO;

	int rc = om_daemon_args(&self, argc, argv, &conf_path);
	if (rc >= 0)
		return rc;
	if (load(conf_path, &cfg, host, sizeof(host), &conf, &level, pin)) {
		OPENSSL_cleanse(pin, sizeof(pin));
		om_conf_free(conf);
		return 2;
	}
	om_log_init("agent", (enum om_log_level)level);
	/* the TRE checks its own directory and files (docs/tre.md); the umask covers the rest */
	if (om_daemon_private("agent", NULL, 0) < 0) {
		om_conf_free(conf);
		return 1;
	}
	/* A VNO or DPF that drops the connection must not kill the device. */
	signal(SIGPIPE, SIG_IGN);
	rc = om_agent_run(&cfg, &res);
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rc == OM_EAGENT_CONFIG) {
		fprintf(stderr, "openmcim-agent: %s: %s\n", conf_path, res.reason);
		om_conf_free(conf);
		return 2;
	}
	if (rc) {
		om_error("result", "tre_id=%s outcome=error code=%s reason=\"%s\"", res.tre_id, om_errname(res.code),
			 res.reason);
		fprintf(stderr, "openmcim-agent: %s\n", res.reason);
		om_conf_free(conf);
		return 1;
	}
	if (res.outcome == OM_AGENT_REFUSED)
		om_notice("result", "tre_id=%s outcome=REFUSED code=%s reason=\"%s\" imsi=%s owner=%s", res.tre_id,
			  om_errname(res.code), res.reason, res.imsi, res.owner);
	else
		om_notice("result", "tre_id=%s outcome=%s imsi=%s owner=%s attaches=%u dm_messages=%u retries=%u",
			  res.tre_id, om_agent_outcome_name(res.outcome), res.imsi, res.owner, res.attaches,
			  res.dm_messages, res.retries);
	om_conf_free(conf);
	return res.outcome == OM_AGENT_REFUSED ? 3 : 0;
}
