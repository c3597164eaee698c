/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash-test points. om_failpoint("agent.installed") does nothing unless the
 * environment variable OM_FAILPOINT names that point; then the process kills
 * itself with SIGKILL (what kill -9 does: no exit handlers, no flush), so a
 * test can stop a device agent or a daemon at an exact step and check that a
 * restart resumes from durable state.
 *
 *   OM_FAILPOINT=name        the first time the point is reached
 *   OM_FAILPOINT=name@N      the Nth time (N >= 1)
 *
 * One point per process. The environment is read once; with OM_FAILPOINT
 * unset a call is a load and a compare. The names of the points are listed
 * in docs/crash.md.
 */
#pragma once

void om_failpoint(const char *name);
