/* SPDX-License-Identifier: Apache-2.0 */
/* A logged-in PKCS#11 session through p11-kit (p11_token.h). */
#include <pthread.h>
#include <string.h>

#include "p11_token.h"

/*
 * Loading, C_Initialize, C_Finalize and unloading of a module, one thread at
 * a time: the factory personalises TREs on several threads, and SoftHSM2
 * run through them at once loses memory (seen under LeakSanitizer).
 */
static pthread_mutex_t module_lock = PTHREAD_MUTEX_INITIALIZER;

/* The token's label as PKCS#11 gives it: 32 bytes padded with spaces. */
static int label_is(const unsigned char got[32], const char *want)
{
	size_t n = strlen(want);
	if (n > 32 || memcmp(got, want, n) != 0)
		return 0;
	for (size_t i = n; i < 32; i++)
		if (got[i] != ' ')
			return 0;
	return 1;
}

int tre_p11_args_ok(const char *module, const char *token, const char *pin)
{
	return module && token && pin && strlen(module) <= TRE_P11_FIELD_MAX && strlen(token) <= 32 &&
	       strlen(pin) <= TRE_P11_FIELD_MAX;
}

int tre_p11_connect(struct tre_p11 *c, const char *module, const char *token, const char *pin)
{
	ck_slot_id_t slots[32];
	unsigned long n = 32;
	struct ck_token_info info;

	memset(c, 0, sizeof(*c));
	if (!tre_p11_args_ok(module, token, pin))
		return OM_EINVAL;
	pthread_mutex_lock(&module_lock);
	c->m = p11_kit_module_load(module, 0);
	c->initialised = c->m && p11_kit_module_initialize(c->m) == CKR_OK;
	pthread_mutex_unlock(&module_lock);
	if (!c->initialised)
		return OM_ETRE_HW;
	if (c->m->C_GetSlotList(1, slots, &n) != CKR_OK)
		return OM_ETRE_HW;
	for (unsigned long i = 0; i < n; i++) {
		if (c->m->C_GetTokenInfo(slots[i], &info) != CKR_OK || !label_is(info.label, token))
			continue;
		if (c->m->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &c->session) != CKR_OK)
			return OM_ETRE_HW;
		c->have_session = 1;
		ck_rv_t rv = c->m->C_Login(c->session, CKU_USER, (unsigned char *)pin, strlen(pin));
		if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
			return 0;
		/* a token that does not take this TRE's PIN is not this device's */
		return rv == CKR_PIN_INCORRECT ? OM_ETRE_SEAL : OM_ETRE_HW;
	}
	return OM_ETRE_HW; /* no such token here */
}

void tre_p11_disconnect(struct tre_p11 *c)
{
	if (c->have_session)
		c->m->C_CloseSession(c->session);
	pthread_mutex_lock(&module_lock);
	if (c->initialised)
		p11_kit_module_finalize(c->m);
	if (c->m)
		p11_kit_module_release(c->m);
	pthread_mutex_unlock(&module_lock);
	memset(c, 0, sizeof(*c));
}

