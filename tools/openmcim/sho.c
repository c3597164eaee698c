/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim sho-admin: the operator's and the owners' command for the SHO
 * registration service (docs/sho.md "Command"). It opens the service's
 * database directly (no socket: the service has no daemon until its HTTP
 * front end lands). Secrets are read from the first line of stdin, never
 * from argv. Exit 0 on success, 1 when the operation is refused, 2 on
 * usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/pki.h>

#include "commands.h"
#include "log.h"
#include "sho.h"
#include "conf.h"
#include "sho_conf.h"
#include "sho_int.h"
#include "synthetic.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim sho-admin (--db PATH | --conf FILE) <command> ...\n"
		   "  owner add OWNER_ID                 (the secret: first line of stdin)\n"
		   "  register --owner ID --note CSV [--partial]          (needs --conf; secret on stdin)\n"
		   "  register --owner ID --tre-id ID --cert-sign PEM --cert-enc PEM --sho-id ID\n"
		   "           (the device's owner claim secret: second line of stdin)\n"
		   "  status TRE_ID\n"
		   "  list [--owner ID]\n"
		   "  synthetic accept|activate --tre-id ID   (needs --conf with [synthetic] dir; the Ku off\n"
		   "           the device's label: first line of stdin; spec/000 5.2.4.6.3 steps 2-3)\n");
}

/* The first line of stdin, without its newline. Secret: the caller cleanses it. */
static int read_secret(char *out, size_t cap)
{
	if (!fgets(out, (int)cap, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static void print_status(void *ctx, const struct sho_device_status *d)
{
	(void)ctx;
	printf("%s owner=%s imsi=%s state=%s current_sho=%s%s%s%s%s\n", d->tre_id, d->owner_id, d->imsi, d->state,
	       d->current_sho, d->request_id[0] ? " request_id=" : "", d->request_id,
	       d->reason[0] ? " reason=" : "", d->reason);
}

static int load_der(const char *path, uint8_t **out, size_t *len)
{
	X509 *c = NULL;
	int rc = om_cert_load(&c, path);
	uint8_t *der = NULL;
	if (rc == 0 && (rc = om_cert_encode(c, OM_ENC_DER, &der, len)) == 0) {
		*out = malloc(*len);
		if (*out)
			memcpy(*out, der, *len);
		rc = *out ? 0 : OM_ENOMEM;
		om_pki_free(der, *len);
	}
	X509_free(c);
	return rc;
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static int has_flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

static int cmd_register(struct sho *s, int argc, char **argv)
{
	const char *owner = opt(argc, argv, "--owner"), *note = opt(argc, argv, "--note");
	struct sho_device_in *devs = NULL;
	struct sho_row_report *rep = NULL;
	char secret[SHO_SECRET_MAX + 2], why[256] = "";
	int n = 0, rc = CLI_EUSAGE;
	if (!owner)
		goto out;
	if (note) {
		if ((n = sho_note_read(note, &devs, why, sizeof(why))) < 0) {
			fprintf(stderr, "openmcim sho-admin: %s\n", why);
			rc = 1;
			goto out;
		}
	} else {
		const char *id = opt(argc, argv, "--tre-id"), *cs = opt(argc, argv, "--cert-sign"),
			   *ce = opt(argc, argv, "--cert-enc"), *sho = opt(argc, argv, "--sho-id");
		if (!id || !cs || !ce || !sho || strlen(id) > OM_TRE_ID_MAX || strlen(sho) > OM_HANDOVER_SHO_ID_MAX)
			goto out;
		n = 1;
		devs = calloc(1, sizeof(*devs));
		if (!devs)
			goto out;
		snprintf(devs->tre_id, sizeof(devs->tre_id), "%s", id);
		snprintf(devs->current_sho, sizeof(devs->current_sho), "%s", sho);
		if (load_der(cs, &devs->cert_sign, &devs->cert_sign_len) < 0 ||
		    load_der(ce, &devs->cert_enc, &devs->cert_enc_len) < 0) {
			fprintf(stderr, "openmcim sho-admin: cannot read the certificates\n");
			rc = 1;
			goto out;
		}
	}
	rc = 1;
	if (!(rep = calloc((size_t)n, sizeof(*rep))) || read_secret(secret, sizeof(secret)) < 0)
		goto out;
	if (!note) {
		char claim[64];
		int ok = read_secret(claim, sizeof(claim)) == 0 && om_claim_parse(claim, devs->claim) == 0;
		OPENSSL_cleanse(claim, sizeof(claim));
		devs->has_claim = ok;
	}
	int r = sho_register(s, owner, secret, devs, (size_t)n, has_flag(argc, argv, "--partial") ? SHO_REG_PARTIAL : 0,
			     rep);
	OPENSSL_cleanse(secret, sizeof(secret));
	for (int i = 0; i < n; i++) {
		if (rep[i].rc < 0)
			printf("%s refused %s %s\n", rep[i].tre_id, om_errname(rep[i].rc), rep[i].reason);
		else
			printf("%s %s imsi=%s\n", rep[i].tre_id,
			       rep[i].unchanged	      ? "unchanged"
			       : rep[i].transferred ? "transferred"
			       : rep[i].committed   ? "registered"
						    : "not-registered",
			       rep[i].imsi);
	}
	if (r < 0)
		fprintf(stderr, "openmcim sho-admin: register: %s\n", om_strerror(r));
	rc = r < 0 ? 1 : 0;
out:
	if (rc == CLI_EUSAGE)
		usage(stderr);
	sho_devices_free(devs, devs ? (size_t)n : 0);
	free(rep);
	return rc;
}

/* Alternative 3 for an owner at the operator's desk: the API's accept and activate (sho/synthetic.h). */
static int cmd_synthetic(const struct sho_conf_file *cf, int argc, char **argv)
{
	const char *dir = om_conf_get(cf->conf, "synthetic", "dir");
	const char *tre_id = opt(argc, argv, "--tre-id");
	struct sho_synth *syn = NULL;
	char ku[OM_SYNTH_KU_TEXT_MAX + 8], why[256] = "", imsi[OM_MCIM_IMSI_MAX + 1];
	int activate = argc >= 1 && !strcmp(argv[0], "activate");
	if (argc != 3 || (!activate && strcmp(argv[0], "accept")) || !tre_id) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (!dir) {
		fprintf(stderr, "openmcim sho-admin: synthetic: %s has no [synthetic] dir\n", om_conf_path(cf->conf));
		return 1;
	}
	int rc = sho_synth_load(&syn, dir, why, sizeof(why));
	if (rc == 0 && read_secret(ku, sizeof(ku)) < 0)
		rc = sho_say(why, sizeof(why), OM_EAUTH_SYNTH_KU, "no Ku on stdin");
	struct sho_synth_target t = { .hss_socket = cf->cfg.hss_socket, .roaming = cf->cfg.roaming,
				      .ind_bits = cf->cfg.ind_bits };
	if (rc == 0)
		rc = activate ? sho_synth_activate(syn, &t, tre_id, ku, imsi, why, sizeof(why))
			      : sho_synth_accept(syn, &t, tre_id, ku, imsi, why, sizeof(why));
	OPENSSL_cleanse(ku, sizeof(ku));
	sho_synth_free(syn);
	if (rc < 0) {
		fprintf(stderr, "openmcim sho-admin: synthetic %s: %s (%s)\n", argv[0], why, om_errname(rc));
		return 1;
	}
	printf("%s imsi=%s status=%s\n", tre_id, imsi, activate ? "active" : "suspended");
	return 0;
}

int cmd_sho_admin(int argc, char **argv)
{
	const char *db = NULL, *conf = NULL;
	struct sho_conf_file cf;
	struct sho_config cfg;
	struct sho *s = NULL;
	char why[256] = "";
	int i = 1, rc = CLI_EUSAGE;
	memset(&cf, 0, sizeof(cf));
	memset(&cfg, 0, sizeof(cfg));
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "--db"))
		db = argv[2];
	else if (argc >= 3 && !strcmp(argv[1], "--conf"))
		conf = argv[2];
	i = 3;
	if ((!db && !conf) || argc <= i) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	om_log_init("sho-admin", OM_LOG_NOTICE);
	if (conf) {
		if (sho_conf_load(conf, &cf, why, sizeof(why)) < 0) {
			fprintf(stderr, "openmcim sho-admin: %s\n", why);
			return 1;
		}
		cfg = cf.cfg;
	} else {
		cfg.db_path = db;
	}
	if ((rc = sho_open(&s, &cfg, why, sizeof(why))) < 0) {
		fprintf(stderr, "openmcim sho-admin: %s\n", why);
		rc = 1;
		goto out;
	}
	const char *verb = argv[i];
	if (!strcmp(verb, "owner") && argc == i + 3 && !strcmp(argv[i + 1], "add")) {
		char secret[SHO_SECRET_MAX + 2];
		int r = read_secret(secret, sizeof(secret)) < 0 ? OM_ESHO_NOTE : sho_owner_add(s, argv[i + 2], secret);
		OPENSSL_cleanse(secret, sizeof(secret));
		if (r < 0)
			fprintf(stderr, "openmcim sho-admin: owner add: %s\n", om_strerror(r));
		rc = r < 0 ? 1 : 0;
	} else if (!strcmp(verb, "register")) {
		rc = conf ? cmd_register(s, argc - i - 1, argv + i + 1) : CLI_EUSAGE;
		if (!conf)
			fprintf(stderr, "openmcim sho-admin: register needs --conf FILE\n");
	} else if (!strcmp(verb, "status") && argc == i + 2) {
		struct sho_device_status d;
		int r = sho_status(s, argv[i + 1], &d);
		if (r == 0)
			print_status(NULL, &d);
		else
			fprintf(stderr, "openmcim sho-admin: %s: %s\n", argv[i + 1], om_strerror(r));
		rc = r < 0 ? 1 : 0;
	} else if (!strcmp(verb, "synthetic")) {
		rc = conf ? cmd_synthetic(&cf, argc - i - 1, argv + i + 1) : CLI_EUSAGE;
		if (!conf)
			fprintf(stderr, "openmcim sho-admin: synthetic needs --conf FILE\n");
	} else if (!strcmp(verb, "list") && (argc == i + 1 || (argc == i + 3 && !strcmp(argv[i + 1], "--owner")))) {
		rc = sho_list(s, argc == i + 3 ? argv[i + 2] : NULL, print_status, NULL) < 0 ? 1 : 0;
	} else {
		usage(stderr);
		rc = CLI_EUSAGE;
	}
out:
	sho_close(s);
	sho_conf_free(&cf);
	return rc;
}
