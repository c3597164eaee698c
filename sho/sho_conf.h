/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration service's configuration file (docs/sho.md
 * "Configuration"), INI as every daemon's (svc/conf.h), into a struct
 * sho_config. The file holds the operator's OP: keep it mode 0600.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sho.h"

struct om_conf;

struct sho_conf_file {
	struct sho_config cfg;   /* points into the fields below */
	struct om_conf *conf;
	uint8_t op[16];
	X509 *pva_ca, *sign_cert;
	EVP_PKEY *sign_key;
};

/*
 * The registration service's settings of a loaded file c (its keys as
 * sho_conf_load() knows them, or a daemon's superset) into f->cfg and the
 * fields it points to; f->conf is left alone. [handover] sign_key and
 * sign_cert are loaded when set. Returns 0, or -1 with "file: reason" in
 * err; on -1 the caller frees what f holds.
 */
int sho_conf_read(const struct om_conf *c, struct sho_conf_file *f, char *err, size_t err_len);

/* Load path. Returns 0, or OM_ESHO_CONFIG with "file:line: reason" in err. */
int sho_conf_load(const char *path, struct sho_conf_file *out, char *err, size_t err_len);
void sho_conf_free(struct sho_conf_file *f);
