/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The services' error codes (store and HSS, PVA, SHO and its OCSP client,
 * DRF, DPF), made from their ranges' lists in include/openmcim/err/
 * (include/openmcim/err.h "How the codes are made"); om_strerror and
 * om_errname know them.
 */
#pragma once

#include <openmcim/err.h>

#define OM_ERR(name, number, message) name = (number),
#define OM_ERR_RANGE(id, first, last)
enum om_svc_err {
#include <openmcim/err/store_hss.def>
#include <openmcim/err/pva.def>
#include <openmcim/err/sho.def>
#include <openmcim/err/drf.def>
#include <openmcim/err/dpf.def>
};
#undef OM_ERR
#undef OM_ERR_RANGE
