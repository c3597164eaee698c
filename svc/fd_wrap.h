/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one place that includes freeDiameter's headers (Debian 1.2.1,
 * libfreediameter-dev). They are not written for our warning flags; any
 * diagnostic they trip is silenced here, and only here, so our own code
 * keeps every warning.
 */
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdcore.h>
#pragma GCC diagnostic pop
