/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpuser_dl_bootstrap: hand the kernel the modules and components that
 * are linked into the program, statically or as shared objects.  Each
 * loaded object's link set sections (arrays of pointers) are handed over,
 * each distinct set once.  Kernels built with constructors (RUMP_USE_CTOR, buildrump's
 * default on Linux) register components themselves; then the link sets
 * are simply absent.
 *
 * First, the kernel's symbol table (the symload callback): a module
 * loaded at run time (modctl MODCTL_LOAD of a kernel object file) is
 * linked against it by the kernel's kobj.  It is made of the dynamic
 * symbols (.dynsym) of every loaded object whose names are in the rump
 * kernel's namespace (rump..., RUMP..., __...), as NetBSD's librumpuser
 * does: copies of their ELF symbols, values made absolute (load base +
 * st_value), names in one string table.
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
	bool sets; /* false: the symbol pass, true: the link set pass */
	/* the kernel's symbol table, being built (symbol pass) */
	ElfW(Sym) *syms;
	size_t nsyms, symcap;
	char *strs;
	size_t strlen, strcap;
	bool nomem;
};

static bool kernel_name(const char *n)
{
	return strncmp(n, "rump", 4) == 0 || strncmp(n, "RUMP", 4) == 0 || strncmp(n, "__", 2) == 0;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 1024;
	void *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	if ((q = realloc(*p, c * elem)) == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* The defined kernel-namespace symbols of one object's .dynsym (section
 * i, its names in section sh[i].sh_link), added to the table. */
static void syms_from_section(struct dl_state *s, int fd, const ElfW(Shdr) *sh, unsigned shnum,
			      unsigned i, ElfW(Addr) base)
{
	const ElfW(Shdr) *ss = &sh[i], *sn;
	ElfW(Sym) *sym = NULL;
	char *names = NULL;
	size_t n;

	if (ss->sh_entsize != sizeof(ElfW(Sym)) || ss->sh_link >= shnum)
		return;
	sn = &sh[ss->sh_link];
	n = ss->sh_size / sizeof(ElfW(Sym));
	sym = malloc(n * sizeof(*sym) + 1);
	names = malloc(sn->sh_size + 1);
	if (sym == NULL || names == NULL ||
	    pread(fd, sym, n * sizeof(*sym), (off_t)ss->sh_offset) != (ssize_t)(n * sizeof(*sym)) ||
	    pread(fd, names, sn->sh_size, (off_t)sn->sh_offset) != (ssize_t)sn->sh_size)
		goto out;
	names[sn->sh_size] = '\0';
	for (size_t k = 0; k < n; k++) {
		const char *name;
		size_t len;

		if (sym[k].st_shndx == SHN_UNDEF || sym[k].st_value == 0 ||
		    sym[k].st_name >= sn->sh_size)
			continue;
		name = names + sym[k].st_name;
		if (!kernel_name(name))
			continue;
		len = strlen(name) + 1;
		if (!grow((void **)&s->syms, &s->symcap, s->nsyms + 1, sizeof(ElfW(Sym))) ||
		    !grow((void **)&s->strs, &s->strcap, s->strlen + len, 1)) {
			s->nomem = true;
			goto out;
		}
		s->syms[s->nsyms] = sym[k];
		s->syms[s->nsyms].st_name = (ElfW(Word))s->strlen;
		if (sym[k].st_shndx != SHN_ABS)
			s->syms[s->nsyms].st_value += base;
		s->nsyms++;
		memcpy(s->strs + s->strlen, name, len);
		s->strlen += len;
	}
out:
	free(sym);
	free(names);
}

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
	if (!s->sets) {
		for (unsigned i = 0; i < eh.e_shnum; i++)
			if (sh[i].sh_type == SHT_DYNSYM)
				syms_from_section(s, fd, sh, eh.e_shnum, i,
						  eh.e_type == ET_DYN ? base : 0);
		goto out;
	}
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
	int r;

	if (atomic_load(&ru_curlwp_reads) == 0) {
		fprintf(stderr,
			"rumpbridge: this rump kernel keeps curlwp in a host thread-local "
			"variable (it was built without RUMP_CURLWP=hypercall).  Green threads "
			"share host threads, so it would run on the wrong lwp.  Rebuild it "
			"with: buildrump.sh -V RUMP_CURLWP=hypercall\n");
		rumpuser_exit(RUMPUSER_PANIC);
	}
	/* symbols first, as NetBSD's: modules linked in may need them */
	if (symload != NULL) {
		dl_iterate_phdr(each_object, &s);
		if (s.nomem)
			fprintf(stderr, "rumpbridge: rumpuser: no memory for the kernel symbol table: "
					"modules loaded later may not link\n");
		if (!s.nomem && s.nsyms > 0) {
			/* not freed: the kernel keeps pointing into them (ksyms
			 * uses our string table) for the life of the process */
			r = symload(s.syms, s.nsyms * sizeof(ElfW(Sym)), s.strs, s.strlen);
			if (r != 0)
				fprintf(stderr, "rumpbridge: rumpuser: the kernel refused its symbol "
						"table (error %d)\n", r);
		} else {
			free(s.syms);
			free(s.strs);
		}
	}
	s.sets = true;
	dl_iterate_phdr(each_object, &s);
	ru_lwp_kernel_ready();
}
