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

struct sho_conf_file {
	struct sho_config cfg;   /* points into the fields below */
	struct om_conf *conf;
	uint8_t op[16];
	X509 *pva_ca, *sign_cert;
	EVP_PKEY *sign_key;
};

/* Load path. Returns 0, or OM_ESHO_CONFIG with "file:line: reason" in err. */
int sho_conf_load(const char *path, struct sho_conf_file *out, char *err, size_t err_len);
void sho_conf_free(struct sho_conf_file *f);
