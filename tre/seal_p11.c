/* SPDX-License-Identifier: Apache-2.0 */
#include "seal.h"

int tre_seal_p11_create(struct tre_sealer **out, const char *dir, const char *module, const char *token,
			const char *pin, unsigned flags)
{
	(void)out, (void)dir, (void)module, (void)token, (void)pin, (void)flags;
	return OM_EINVAL;
}

int tre_seal_p11_open(struct tre_sealer **out, const char *dir, unsigned flags)
{
	(void)out, (void)dir, (void)flags;
	return OM_EINVAL;
}
