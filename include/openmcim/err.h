/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes shared by every openmcim module: the core's here, the others' in their own headers. */
#pragma once

/*
 * Every fallible openmcim call returns 0 (or a non-negative count) on success
 * and one of these negative codes on failure. Programmer errors (NULL where
 * the contract forbids it, impossible sizes) are OM_EINVAL; bad input from
 * outside always gets its own specific code, so that a caller, a log line and
 * a test can tell a flipped MAC bit from a truncated object.
 *
 * How the codes are made: each module owns a range, and each range is one
 * list, include/openmcim/err/<range>.def, of OM_ERR(name, number, message)
 * lines. The enums are made from the lists (X-macros): the core library's
 * ranges here, the services' in svc/svc_err.h, the factory's in
 * factory/factory_err.h, the device agent's in agent/agent_err.h, the lab's
 * in lab/lab_err.h; lib/core/err.c makes every
 * code's name and message from the same lists, so a code cannot lack its
 * message (lib/core/err_test.c checks that, and that the ranges are in
 * order and do not overlap). Add a code at the end of its range's list with
 * the next number; never renumber (numbers and names reach logs, the admin
 * sockets' answers and the docs).
 */
#define OM_ERR(name, number, message) name = (number),
#define OM_ERR_RANGE(id, first, last)
enum om_err {
	OM_OK = 0,
#include <openmcim/err/core.def>
#include <openmcim/err/auth.def>
#include <openmcim/err/protect.def>
#include <openmcim/err/pki.def>
#include <openmcim/err/tre.def>
#include <openmcim/err/nas.def>
#include <openmcim/err/objects.def>
#include <openmcim/err/radio.def>
#include <openmcim/err/dm.def>
};
#undef OM_ERR
#undef OM_ERR_RANGE

/* A one-line English message for any om_err code (the services', agent's and lab's too); never NULL. */
const char *om_strerror(int err);

/* The code's symbolic name, e.g. "OM_EAUTH_MAC"; never NULL. */
const char *om_errname(int err);

/* The code whose symbolic name is name (om_errname's inverse), or 0 when no code has that name. */
int om_errcode(const char *name);

#if defined(__GNUC__)
#define OM_NODISCARD __attribute__((warn_unused_result))
#else
#define OM_NODISCARD
#endif
