/* SPDX-License-Identifier: MIT */
/*
 * Mount namespaces.  A mount of another namespace cannot be unmounted from
 * outside it (umount2 fails with EINVAL), so a real run joins the judged
 * process's namespace.  Judging and dry runs read through /proc/PID/root.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounttab.h"
#include "nsjoin.h"

static int ns_inode(const char *proc_dir, const char *pid, struct stat *ret)
{
	char *path = xasprintf("%s/%s/ns/mnt", proc_dir, pid);
	int r = stat(path, ret) < 0 ? -errno : 0;

	free(path);
	return r;
}

int ns_is_same(const char *proc_dir, pid_t pid, bool *ret_same)
{
	char pid_text[16];
	struct stat self, other;
	int r;

	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	r = ns_inode(proc_dir, "self", &self);
	if (r < 0)
		return r;
	r = ns_inode(proc_dir, pid_text, &other);
	if (r < 0)
		return r;

	*ret_same = self.st_dev == other.st_dev && self.st_ino == other.st_ino;
	return 0;
}

int ns_join(const char *proc_dir, pid_t pid)
{
	char *path = xasprintf("%s/%d/ns/mnt", proc_dir, (int)pid);
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNS) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* One process per mount namespace. */
struct namespace {
	ino_t ino;
	dev_t dev;
	pid_t pid;
};

static size_t list_namespaces(const char *proc_dir, struct namespace **ret)
{
	struct namespace *list = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(proc_dir);

	if (!d) {
		*ret = NULL;
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		size_t i;

		if (!isdigit((unsigned char)de->d_name[0]) || ns_inode(proc_dir, de->d_name, &st) < 0)
			continue;
		for (i = 0; i < n; i++)
			if (list[i].ino == st.st_ino && list[i].dev == st.st_dev)
				break;
		if (i < n)
			continue;
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n].ino = st.st_ino;
		list[n].dev = st.st_dev;
		list[n].pid = (pid_t)atoi(de->d_name);
		n++;
	}
	closedir(d);
	*ret = list;
	return n;
}

/* Name NS in the verdict of each leak that NS has a copy of.  Returns whether it has any. */
static bool note_copies(struct judgement *j, const struct mount_table *tab, const struct namespace *ns)
{
	bool found = false;

	for (size_t i = 0; i < j->count; i++) {
		struct verdict *v = &j->verdicts[i];
		char *joined;

		if (!v->leak)
			continue;
		for (size_t k = 0; k < tab->count; k++) {
			const struct mount_entry *e = &tab->entries[k];

			if (e->malformed || strcmp(e->target, v->mount->target) != 0 ||
			    strcmp(e->root, v->mount->root) != 0)
				continue;
			joined = xasprintf("%s%smnt:[%lu] pid %d", v->namespaces ? v->namespaces : "",
					   v->namespaces ? ", " : "", (unsigned long)ns->ino, (int)ns->pid);
			free(v->namespaces);
			v->namespaces = joined;
			found = true;
			break;
		}
	}
	return found;
}

size_t ns_list_copies(struct judgement *j, const char *proc_dir, pid_t pid, pid_t **ret_pids)
{
	struct namespace *list;
	size_t n = list_namespaces(proc_dir, &list), nholders = 0;
	pid_t *holders = xcalloc(n, sizeof(*holders));
	char pid_text[16];
	struct stat own;

	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	if (ns_inode(proc_dir, pid_text, &own) < 0)
		own.st_ino = 0;

	for (size_t i = 0; i < n; i++) {
		struct mount_table tab;
		char *path;

		if (list[i].ino == own.st_ino && list[i].dev == own.st_dev)
			continue;
		path = xasprintf("%s/%d/mountinfo", proc_dir, (int)list[i].pid);
		if (mounttab_read(&tab, path) == 0) {
			if (note_copies(j, &tab, &list[i]))
				holders[nholders++] = list[i].pid;
			mounttab_free(&tab);
		}
		free(path);
	}
	free(list);
	*ret_pids = holders;
	return nholders;
}
