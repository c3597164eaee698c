/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A logged-in session on a PKCS#11 token, the module loaded through
 * p11-kit: shared by the sealing backend (seal_p11.c) and PrK_TRE in the
 * token (key_p11.c). The module path, the token's label and the user PIN
 * come from the device's configuration only (docs/tre.md "Backends").
 */
#pragma once

#define CRYPTOKI_GNU 1
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#include <openmcim/err.h>

#define TRE_P11_FIELD_MAX 255

struct tre_p11 {
	struct ck_function_list *m;
	int initialised;
	ck_session_handle_t session;
	int have_session;
};

/*
 * Load module, find the token labelled token, open a read-write session and
 * log in as the user with pin. 0, OM_ETRE_HW (no module, no such token, a
 * refusal), OM_ETRE_SEAL (the token refuses this PIN: not this device's).
 * On failure the caller still calls tre_p11_disconnect.
 */
OM_NODISCARD int tre_p11_connect(struct tre_p11 *c, const char *module, const char *token, const char *pin);

/* Close the session, finalize and release the module; c is zeroed. */
void tre_p11_disconnect(struct tre_p11 *c);

/* Whether module, token and pin fit (non-NULL, within their lengths). */
int tre_p11_args_ok(const char *module, const char *token, const char *pin);
