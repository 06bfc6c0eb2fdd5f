/* SPDX-License-Identifier: MIT */
/* One run of the command: read, judge, reap, report. */
#ifndef NMR_RUN_H
#define NMR_RUN_H

#include "options.h"

/* Carry out one run with the settings in OPTS and return the exit status. */
int run(const struct options *opts);

#endif
