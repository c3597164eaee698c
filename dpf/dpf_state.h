/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's two state machines as transition tables (svc/transition.h,
 * docs/dpf.md "Record"): every move of dpf_release.state and of
 * dpf_completion.state is looked up here and written only while the row is
 * still in the state it moves from.
 *
 * A release (one M2MMCIMMobj sent, B.2.3.4):
 *   released --installed--> installed      (the device's Status 200, step V)
 *   released --failed--> failed            (its install failure)
 *   released --superseded--> superseded    (a fresh M2MMobj for the same handover)
 *   installed --installed--> installed, failed --failed--> failed (the same report again)
 *
 * A completion report to the previous SHO's DRF (Note Z):
 *   pending --done--> done, pending --refused--> refused (the DRF's answer)
 *   pending --retry--> pending             (no answer: tried again later)
 *   pending, refused --resume--> pending   (at start: each kept report is sent again)
 *   done --done--> done, refused --refused--> refused (the same answer again)
 *
 * Anything else is OM_EDPF_MOVE, nothing written.
 */
#pragma once

#include "transition.h"

enum dpf_release_event { DPF_REL_INSTALLED, DPF_REL_FAILED, DPF_REL_SUPERSEDED, DPF_REL_N };
enum dpf_completion_event { DPF_CMP_DONE, DPF_CMP_REFUSED, DPF_CMP_RETRY, DPF_CMP_RESUME, DPF_CMP_N };

extern const struct om_moves dpf_release_moves, dpf_completion_moves;

/* The next state of a release / a completion: 0 with *to, or OM_EDPF_MOVE. */
int dpf_release_move(const char *from, enum dpf_release_event ev, const char **to);
int dpf_completion_move(const char *from, enum dpf_completion_event ev, const char **to);
