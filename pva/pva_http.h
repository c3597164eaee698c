/* SPDX-License-Identifier: Apache-2.0 */
/* The PVA's HTTP interface (docs/pva.md): OCSP at "/", validation at "/validate". */
#pragma once

#include "http_server.h"
#include "pva.h"

/* Register the PVA's routes on s. Returns 0 or an om_http_route code. */
OM_NODISCARD int pva_http_routes(struct om_http_server *s, struct pva *p);
