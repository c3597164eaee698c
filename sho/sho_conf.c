/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the registration service's configuration file (docs/sho.md). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>
#include <openmcim/pki.h>

#include "conf.h"
#include "sho_conf.h"

static const struct om_conf_key keys[] = {
	{ "sho", "db", 1 },		   { "sho", "id", 1 },
	{ "imsi", "mcc", 1 },		   { "imsi", "mnc", 1 },
	{ "imsi", "msin_first", 1 },	   { "imsi", "msin_last", 1 },
	{ "subscription", "op", 1 },	   { "subscription", "apn", 1 },
	{ "subscription", "roaming", 1 },  { "subscription", "amf", 0 },
	{ "subscription", "ind_bits", 0 }, { "pva", "ca", 1 },
	{ "pva", "ocsp_url", 1 },	   { "hss", "socket", 1 },
	{ "handover", "sign_key", 0 },	   { "handover", "sign_cert", 0 },
	{ "handover", "provurl", 0 },	   { "handover", "server_id", 0 },
	{ "handover", "dpf_apn", 0 },	   { "synthetic", "dir", 0 },
};

void sho_conf_free(struct sho_conf_file *f)
{
	if (!f)
		return;
	om_conf_free(f->conf);
	X509_free(f->pva_ca);
	X509_free(f->sign_cert);
	EVP_PKEY_free(f->sign_key);
	OPENSSL_cleanse(f, sizeof(*f));
}

int sho_conf_read(const struct om_conf *c, struct sho_conf_file *f, char *err, size_t el)
{
	struct sho_config *g = &f->cfg;
	const char *path = om_conf_path(c);
	uint64_t ind = 5;
	const char *v;
	g->db_path = om_conf_get(c, "sho", "db");
	g->sho_id = om_conf_get(c, "sho", "id");
	g->mcc = om_conf_get(c, "imsi", "mcc");
	g->mnc = om_conf_get(c, "imsi", "mnc");
	g->msin_first = om_conf_get(c, "imsi", "msin_first");
	g->msin_last = om_conf_get(c, "imsi", "msin_last");
	g->apn = om_conf_get(c, "subscription", "apn");
	g->roaming = om_conf_get(c, "subscription", "roaming");
	g->ocsp_url = om_conf_get(c, "pva", "ocsp_url");
	g->hss_socket = om_conf_get(c, "hss", "socket");
	g->drf_socket = om_conf_get(c, "drf", "admin_socket");
	g->provurl = om_conf_get(c, "handover", "provurl");
	g->server_id = om_conf_get(c, "handover", "server_id");
	g->dpf_apn = om_conf_get(c, "handover", "dpf_apn");
	if (om_hex_decode(f->op, sizeof(f->op), om_conf_get(c, "subscription", "op")) < 0)
		return snprintf(err, el, "%s: [subscription] op must be 32 hex digits", path), -1;
	g->op = f->op;
	if (om_hex_decode(g->amf, 2, om_conf_str(c, "subscription", "amf", "8000")) < 0)
		return snprintf(err, el, "%s: [subscription] amf must be 4 hex digits", path), -1;
	if (om_conf_uint(c, "subscription", "ind_bits", 5, 0, 28, &ind, err, el) < 0)
		return -1;
	g->ind_bits = (unsigned)ind;
	if (om_cert_load(&f->pva_ca, om_conf_get(c, "pva", "ca")) < 0)
		return snprintf(err, el, "%s: [pva] ca: cannot read a PEM certificate", path), -1;
	g->pva_ca = f->pva_ca;
	if ((v = om_conf_get(c, "handover", "sign_key")) && om_key_load(&f->sign_key, v) < 0)
		return snprintf(err, el, "%s: [handover] sign_key: cannot read a PEM private key", path), -1;
	if ((v = om_conf_get(c, "handover", "sign_cert")) && om_cert_load(&f->sign_cert, v) < 0)
		return snprintf(err, el, "%s: [handover] sign_cert: cannot read a PEM certificate", path), -1;
	g->sign_key = f->sign_key;
	g->sign_cert = f->sign_cert;
	return 0;
}

int sho_conf_load(const char *path, struct sho_conf_file *f, char *err, size_t el)
{
	memset(f, 0, sizeof(*f));
	if (!(f->conf = om_conf_load(path, keys, sizeof(keys) / sizeof(keys[0]), err, el)))
		return OM_ESHO_CONFIG;
	if (sho_conf_read(f->conf, f, err, el) < 0) {
		sho_conf_free(f);
		return OM_ESHO_CONFIG;
	}
	return 0;
}
