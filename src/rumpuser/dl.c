/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser_dl_bootstrap: hand the kernel the modules and components that
 * are linked into the program, statically or as shared objects.  Each
 * loaded object's link set sections (arrays of pointers) are handed over,
 * each distinct set once.  Kernels built with constructors (RUMP_USE_CTOR, buildrump's
 * default on Linux) register components themselves; then the link sets
 * are simply absent.  Kernel symbol tables (the symload callback, for
 * modules loaded at run time) are not handed over: see docs/rumpuser.md.
 *
 * Also the check that the kernel reads curlwp through the hypercall: by
 * the time rump_init calls this it has used curlwp many times.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rumpuser_impl.h"

#define MAX_SETS 128

struct dl_state {
	void *seen[MAX_SETS];
	unsigned nseen;
	rump_modinit_fn modinit;
	rump_compload_fn compload;
};

static bool seen_before(struct dl_state *s, void *start)
{
	for (unsigned i = 0; i < s->nseen; i++)
		if (s->seen[i] == start)
			return true;
	if (s->nseen < MAX_SETS)
		s->seen[s->nseen++] = start;
	return false;
}

/*
 * The link sets of one loaded object, found by the section headers of its
 * file: the linker defines __start_link_set_X only in objects that refer
 * to it, so the component libraries of a kernel built without
 * constructors (buildrump.sh -k) export no such symbol, yet carry the
 * sections.  Address = load base + sh_addr.
 */
static void sets_from_file(struct dl_state *s, const char *path, ElfW(Addr) base)
{
	ElfW(Ehdr) eh;
	ElfW(Shdr) *sh = NULL;
	char *names = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* the vDSO, or a file that went away: nothing to take */
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_shentsize != sizeof(ElfW(Shdr)) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum)
		goto out;
	sh = malloc(eh.e_shnum * sizeof(*sh));
	if (sh == NULL || pread(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff) !=
				  (ssize_t)(eh.e_shnum * sizeof(*sh)))
		goto out;
	names = malloc(sh[eh.e_shstrndx].sh_size + 1);
	if (names == NULL || pread(fd, names, sh[eh.e_shstrndx].sh_size,
				   (off_t)sh[eh.e_shstrndx].sh_offset) !=
				     (ssize_t)sh[eh.e_shstrndx].sh_size)
		goto out;
	names[sh[eh.e_shstrndx].sh_size] = '\0';
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		const char *n;
		void **start = (void **)(base + sh[i].sh_addr);
		size_t cnt = sh[i].sh_size / sizeof(void *);

		if (!(sh[i].sh_flags & SHF_ALLOC) || cnt == 0 ||
		    sh[i].sh_name >= sh[eh.e_shstrndx].sh_size)
			continue;
		n = names + sh[i].sh_name;
		if (strcmp(n, "link_set_modules") == 0 && !seen_before(s, start))
			s->modinit((const struct modinfo *const *)start, cnt);
		else if (strcmp(n, "link_set_rump_components") == 0 && !seen_before(s, start))
			for (size_t k = 0; k < cnt; k++)
				s->compload(start[k]);
	}
out:
	free(names);
	free(sh);
	close(fd);
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	sets_from_file(arg, info->dlpi_name[0] != '\0' ? info->dlpi_name : "/proc/self/exe",
		       info->dlpi_addr);
	return 0;
}

void rumpuser_dl_bootstrap(rump_modinit_fn modinit, rump_symload_fn symload,
			   rump_compload_fn compload)
{
	struct dl_state s = {.modinit = modinit, .compload = compload};

	(void)symload;
	if (atomic_load(&ru_curlwp_reads) == 0) {
		fprintf(stderr,
			"rumpbridge: this rump kernel keeps curlwp in a host thread-local "
			"variable (it was built without RUMP_CURLWP=hypercall).  Green threads "
			"share host threads, so it would run on the wrong lwp.  Rebuild it "
			"with: buildrump.sh -V RUMP_CURLWP=hypercall\n");
		rumpuser_exit(RUMPUSER_PANIC);
	}
	dl_iterate_phdr(each_object, &s);
	ru_lwp_kernel_ready();
}
