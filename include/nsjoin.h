/* SPDX-License-Identifier: MIT */
/* Mount namespaces: which one a process is in, joining it, and copies of leaks in others. */
#ifndef NMR_NSJOIN_H
#define NMR_NSJOIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "judge.h"

/* Is PID in this process's mount namespace?  Returns 0 and stores the result in *RET_SAME, or -errno. */
int ns_is_same(const char *proc_dir, pid_t pid, bool *ret_same);

/* Join the mount namespace of PID with setns(2).  Returns 0 or -errno. */
int ns_join(const char *proc_dir, pid_t pid);

/*
 * Find, for each leak in J, the other mount namespaces that hold a mount with
 * the same root and mount point, and name one process in each in
 * verdict->namespaces.  PID's own namespace is skipped.  Returns how many
 * namespaces hold a copy of some leak, with one process of each in *RET_PIDS
 * (free it).
 */
size_t ns_list_copies(struct judgement *j, const char *proc_dir, pid_t pid, pid_t **ret_pids);

#endif
