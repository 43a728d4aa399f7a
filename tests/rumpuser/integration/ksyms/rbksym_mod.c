/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A NetBSD kernel module, built here as a relocatable object and loaded
 * into a running rump kernel at run time (modctl MODCTL_LOAD): the
 * kernel's kobj links it against the kernel's symbol table, which only
 * exists if librumpuser handed it over (rumpuser_dl_bootstrap's symload).
 * It refers to kernel symbols by their rump names (rumpns_...): a
 * function (printf) and a variable (hz).  Large code model: every
 * reference is an absolute 64-bit relocation (R_X86_64_64), wherever the
 * kernel and the module were placed.
 */
struct nb_modinfo {
	unsigned int mi_version;
	int mi_class; /* MODULE_CLASS_MISC */
	int (*mi_modcmd)(int, void *);
	const char *mi_name;
	const char *mi_required;
};

extern int rumpns_hz;
extern int rumpns_printf(const char *, ...);

/* The kernel's version (7.99.34: __NetBSD_Version__ of the tested kernel;
 * the loader checks it and says so if it differs). */
#ifndef RBKSYM_VERSION
#define RBKSYM_VERSION 799003400
#endif

/* kobj wants a module to have data: the count of its initialisations */
int rbksym_inits;

static int rbksym_modcmd(int cmd, void *arg)
{
	(void)arg;
	switch (cmd) {
	case 0: /* MODULE_CMD_INIT */
		if (rumpns_hz <= 0)
			return 22; /* EINVAL: the variable was not linked right */
		rbksym_inits++;
		rumpns_printf("rbksym: linked against the kernel's symbols, hz %d\n", rumpns_hz);
		return 0;
	case 1: /* MODULE_CMD_FINI */
		return 0;
	default:
		return 25; /* ENOTTY */
	}
}

static const struct nb_modinfo rbksym_mi = {RBKSYM_VERSION, 1, rbksym_modcmd, "rbksym", 0};
__attribute__((section("link_set_modules"), used)) static const struct nb_modinfo *const
	rbksym_mip = &rbksym_mi;
