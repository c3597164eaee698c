/* SPDX-License-Identifier: Apache-2.0 */
/* MILENAGE internals shared with its tests; not part of the public API. */
#pragma once

/*
 * Force the OpenSSL EVP path (force != 0) or go back to the run-time choice
 * (AES-NI when the CPU has it and OM_NO_AESNI is not "1"). Affects contexts
 * initialised afterwards: a context keeps the path it was set up with, since
 * that path decides what om_milenage_init() stored in it. Lets one test
 * program check every conformance set on both paths.
 */
void om_milenage_force_fallback(int force);
