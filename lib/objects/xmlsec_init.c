/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libxml2 and xmlsec (OpenSSL back end) are set up once per process and
 * never shut down: a TRE or a DRF verifies and signs for its whole life,
 * and xmlSecShutdown() is not safe while another thread is inside xmlsec.
 */
#include <pthread.h>

#include <libxml/parser.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>

#include "objects_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc = OM_ECRYPTO;

static void init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0)
		return;
	if (xmlSecCheckVersion() != 1 || xmlSecOpenSSLAppInit(NULL) < 0 || xmlSecOpenSSLInit() < 0)
		return;
	/* xmlsec prints to stderr by default; our callers get a code instead */
	xmlSecErrorsDefaultCallbackEnableOutput(0);
	init_rc = 0;
}

int omo_xmlsec_init(void)
{
	if (pthread_once(&once, init) != 0)
		return OM_ECRYPTO;
	return init_rc;
}
