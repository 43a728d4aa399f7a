/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rules of a system description that XML Schema cannot express, after
 * the Microkit 2.0.1 tool's (tool/microkit/src/sdf.rs), plus what Linux
 * cannot run.  In the order they are checked:
 *
 *   per protection domain (file order, parents before children):
 *     a program_image is given; budget <= period; stack_size in range and
 *     page aligned; no virtual_machine (not supported on Linux); no smc;
 *     each map names a known region, is aligned to its page size, has
 *     vaddr below the stack and does not overlap another map of the PD,
 *     is not write-only; setvar symbols are unique within the PD and a
 *     setvar region_paddr names a known region;
 *   the system: at least one PD; PD names unique; region names unique;
 *     child ids unique within their parent; regions: size a non-zero
 *     multiple of a supported page size, phys_addr aligned and
 *     non-overlapping; irq numbers unique; channels: each end names a PD,
 *     pp on at most one end, channel ids (with irq ids) unique per PD,
 *     no cycle of PPCs, each PPC goes to a PD of strictly higher priority.
 *
 * Errors are "FILE:LINE: ELEMENT: what is wrong".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "system.h"

struct vctx {
	const struct sys_system *s;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 4, 5))) static int fail(struct vctx *c, int line, const char *elem,
							const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d: %s: %s", c->s->file, line, elem, msg);
	if (c->errlen)
		sys_oneline(c->err);
	return -1;
}

#define X(v) ((unsigned long long)(v))

static bool setvar_taken(const struct sys_pd *pd, const char *sym, const void *upto)
{
	for (size_t j = 0; j < pd->nmaps && (const void *)&pd->maps[j] != upto; j++) {
		const struct sys_map *m = &pd->maps[j];

		if ((m->setvar_vaddr && strcmp(m->setvar_vaddr, sym) == 0 && m->setvar_vaddr != sym) ||
		    (m->setvar_size && strcmp(m->setvar_size, sym) == 0 && m->setvar_size != sym))
			return true;
	}
	return false;
}

static int check_pd(struct vctx *c, struct sys_pd *pd)
{
	const struct sys_system *s = c->s;
	uint64_t max_vaddr = SYS_USER_TOP - pd->stack_size;

	if (!pd->image)
		return fail(c, pd->line, "protection_domain",
			    "protection domain '%s' has no program_image", pd->name);
	if (pd->budget > pd->period)
		return fail(c, pd->line, "protection_domain",
			    "budget (%llu) must be less than, or equal to, period (%llu)",
			    X(pd->budget), X(pd->period));
	if (pd->stack_size < SYS_MIN_STACK || pd->stack_size > SYS_MAX_STACK)
		return fail(c, pd->line, "protection_domain",
			    "stack_size must be between 0x%llx and 0x%llx bytes", X(SYS_MIN_STACK),
			    X(SYS_MAX_STACK));
	if (pd->stack_size % SYS_PAGE_SIZE)
		return fail(c, pd->line, "protection_domain",
			    "stack_size must be a multiple of the page size (%llu bytes)",
			    X(SYS_PAGE_SIZE));
	if (pd->has_vm)
		return fail(c, pd->vm_line, "virtual_machine",
			    "virtual machines are not supported on Linux (in protection domain '%s')",
			    pd->name);
	if (pd->smc)
		return fail(c, pd->line, "protection_domain",
			    "smc (ARM secure monitor calls) is not supported on Linux");

	for (size_t j = 0; j < pd->nmaps; j++) {
		struct sys_map *m = &pd->maps[j];
		const struct sys_region *r;
		uint64_t end;

		m->region = sys_find_region(s, m->mr);
		if (m->region < 0)
			return fail(c, m->line, "map", "map of unknown memory region '%s'", m->mr);
		r = &s->regions[m->region];
		if (m->perms == SYS_PERM_W)
			return fail(c, m->line, "map",
				    "perms must not be 'w' alone: write-only mappings are not allowed");
		if (m->vaddr >= max_vaddr)
			return fail(c, m->line, "map", "vaddr (0x%llx) must be less than 0x%llx",
				    X(m->vaddr), X(max_vaddr));
		if (r->page_size && m->vaddr % r->page_size)
			return fail(c, m->line, "map",
				    "vaddr 0x%llx is not aligned to the page size (0x%llx) of region '%s'",
				    X(m->vaddr), X(r->page_size), r->name);
		end = m->vaddr + r->size;
		if (end < m->vaddr || end > max_vaddr)
			return fail(c, m->line, "map",
				    "region '%s' (0x%llx bytes) at vaddr 0x%llx ends past 0x%llx",
				    r->name, X(r->size), X(m->vaddr), X(max_vaddr));
		for (size_t k = 0; k < j; k++) {
			const struct sys_map *o = &pd->maps[k];
			uint64_t oend = o->vaddr + s->regions[o->region].size;

			if (m->vaddr < oend && o->vaddr < end)
				return fail(c, m->line, "map",
					    "map of '%s' [0x%llx..0x%llx) overlaps the map of '%s' [0x%llx..0x%llx) (line %d) in protection domain '%s'",
					    m->mr, X(m->vaddr), X(end), o->mr, X(o->vaddr), X(oend),
					    o->line, pd->name);
		}
		if (m->setvar_vaddr && setvar_taken(pd, m->setvar_vaddr, m))
			return fail(c, m->line, "map", "setvar on symbol '%s' already exists",
				    m->setvar_vaddr);
		if (m->setvar_size &&
		    (setvar_taken(pd, m->setvar_size, m) ||
		     (m->setvar_vaddr && strcmp(m->setvar_vaddr, m->setvar_size) == 0)))
			return fail(c, m->line, "map", "setvar on symbol '%s' already exists",
				    m->setvar_size);
	}
	for (size_t j = 0; j < pd->nsetvars; j++) {
		const struct sys_setvar *sv = &pd->setvars[j];

		if (setvar_taken(pd, sv->symbol, NULL))
			return fail(c, sv->line, "setvar", "setvar on symbol '%s' already exists",
				    sv->symbol);
		for (size_t k = 0; k < j; k++)
			if (strcmp(pd->setvars[k].symbol, sv->symbol) == 0)
				return fail(c, sv->line, "setvar",
					    "setvar on symbol '%s' already exists", sv->symbol);
		if (sys_find_region(s, sv->region) < 0)
			return fail(c, sv->line, "setvar",
				    "region_paddr names unknown memory region '%s'", sv->region);
	}
	return 0;
}

/* PPC graph: edge a -> b when a may PPC b.  Depth-first search, colours
 * 0 new, 1 on the stack, 2 done. */
static int ppc_dfs(struct vctx *c, int v, char *colour, int *stack, int depth, int *cycle_line)
{
	const struct sys_system *s = c->s;

	colour[v] = 1;
	stack[depth] = v;
	for (size_t i = 0; i < s->nchannels; i++) {
		const struct sys_channel *ch = &s->channels[i];

		for (int k = 0; k < 2; k++) {
			int w;

			if (ch->end[k].pd != v || !ch->end[k].pp)
				continue;
			w = ch->end[1 - k].pd;
			if (colour[w] == 1) {
				char path[512];
				size_t n = 0;
				int from = depth;

				while (stack[from] != w)
					from--;
				path[0] = 0;
				for (int d = from; d <= depth; d++)
					n += (size_t)snprintf(path + n, n < sizeof path ? sizeof path - n : 0,
							      "%s -> ", s->pds[stack[d]].name);
				if (n < sizeof path)
					snprintf(path + n, sizeof path - n, "%s", s->pds[w].name);
				*cycle_line = ch->line;
				return fail(c, ch->line, "channel", "PPC cycle: %s", path);
			}
			if (colour[w] == 0 && ppc_dfs(c, w, colour, stack, depth + 1, cycle_line))
				return -1;
		}
	}
	colour[v] = 2;
	return 0;
}

int sys_validate(struct sys_system *s, char *err, size_t errlen)
{
	struct vctx c = {.s = s, .err = err, .errlen = errlen};
	char colour[SYS_MAX_PDS] = {0};
	int stack[SYS_MAX_PDS];

	if (errlen)
		err[0] = 0;
	for (size_t i = 0; i < s->npds; i++)
		if (check_pd(&c, &s->pds[i]))
			return -1;

	if (s->npds == 0)
		return fail(&c, s->line, "system", "at least one protection_domain must be defined");
	for (size_t i = 0; i < s->npds; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->pds[i].name, s->pds[j].name) == 0)
				return fail(&c, s->pds[i].line, "protection_domain",
					    "duplicate protection domain name '%s' (first at line %d)",
					    s->pds[i].name, s->pds[j].line);
	for (size_t i = 0; i < s->nregions; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->regions[i].name, s->regions[j].name) == 0)
				return fail(&c, s->regions[i].line, "memory_region",
					    "duplicate memory region name '%s' (first at line %d)",
					    s->regions[i].name, s->regions[j].line);
	for (size_t i = 0; i < s->npds; i++)
		for (size_t j = 0; j < i; j++)
			if (s->pds[i].parent >= 0 && s->pds[i].parent == s->pds[j].parent &&
			    s->pds[i].id == s->pds[j].id)
				return fail(&c, s->pds[i].line, "protection_domain",
					    "duplicate id %u among the children of protection domain '%s'",
					    s->pds[i].id, s->pds[s->pds[i].parent].name);

	for (size_t i = 0; i < s->nregions; i++) {
		const struct sys_region *r = &s->regions[i];

		if (r->page_size != SYS_PAGE_SIZE && r->page_size != SYS_LARGE_PAGE_SIZE)
			return fail(&c, r->line, "memory_region",
				    "page size 0x%llx not supported (0x1000 or 0x200000)",
				    X(r->page_size));
		if (r->size == 0)
			return fail(&c, r->line, "memory_region", "size of region '%s' is 0", r->name);
		if (r->size % r->page_size)
			return fail(&c, r->line, "memory_region",
				    "size 0x%llx of region '%s' is not a multiple of its page size 0x%llx",
				    X(r->size), r->name, X(r->page_size));
		if (r->has_phys && r->phys_addr % r->page_size)
			return fail(&c, r->line, "memory_region",
				    "phys_addr 0x%llx is not aligned to the page size 0x%llx",
				    X(r->phys_addr), X(r->page_size));
		for (size_t j = 0; r->has_phys && j < i; j++) {
			const struct sys_region *o = &s->regions[j];

			if (o->has_phys && r->phys_addr < o->phys_addr + o->size &&
			    o->phys_addr < r->phys_addr + r->size)
				return fail(&c, r->line, "memory_region",
					    "physical range of region '%s' overlaps region '%s'",
					    r->name, o->name);
		}
	}

	for (size_t i = 0; i < s->npds; i++)
		for (size_t j = 0; j < s->pds[i].nirqs; j++)
			for (size_t k = 0; k <= i; k++)
				for (size_t l = 0; l < (k == i ? j : s->pds[k].nirqs); l++)
					if (s->pds[k].irqs[l].irq == s->pds[i].irqs[j].irq)
						return fail(&c, s->pds[i].irqs[j].line, "irq",
							    "duplicate irq %llu",
							    X(s->pds[i].irqs[j].irq));

	for (size_t i = 0; i < s->nchannels; i++) {
		struct sys_channel *ch = &s->channels[i];

		for (int k = 0; k < 2; k++) {
			struct sys_end *e = &ch->end[k];

			e->pd = sys_find_pd(s, e->pd_name);
			if (e->pd < 0)
				return fail(&c, e->line, "end",
					    "channel end names unknown protection domain '%s'",
					    e->pd_name);
		}
		if (ch->end[0].pp && ch->end[1].pp)
			return fail(&c, ch->line, "channel",
				    "pp on both ends: a PPC goes one way only");
	}
	/* Channel ids (and irq ids, which share the space) unique per PD. */
	for (size_t i = 0; i < s->nchannels; i++)
		for (int k = 0; k < 2; k++) {
			const struct sys_end *e = &s->channels[i].end[k];
			const struct sys_pd *pd = &s->pds[e->pd];

			for (size_t j = 0; j < pd->nirqs; j++)
				if (pd->irqs[j].id == e->id)
					return fail(&c, e->line, "end",
						    "duplicate channel id %u in protection domain '%s' (irq at line %d)",
						    e->id, pd->name, pd->irqs[j].line);
			for (size_t j = 0; j <= i; j++)
				for (int l = 0; l < 2 && (j < i || l < k); l++) {
					const struct sys_end *o = &s->channels[j].end[l];

					if (o->pd == e->pd && o->id == e->id)
						return fail(&c, e->line, "end",
							    "duplicate channel id %u in protection domain '%s' (first at line %d)",
							    e->id, pd->name, o->line);
				}
		}
	for (size_t i = 0; i < s->npds; i++)
		for (size_t j = 0; j < s->pds[i].nirqs; j++)
			for (size_t l = 0; l < j; l++)
				if (s->pds[i].irqs[l].id == s->pds[i].irqs[j].id)
					return fail(&c, s->pds[i].irqs[j].line, "irq",
						    "duplicate channel id %u in protection domain '%s'",
						    s->pds[i].irqs[j].id, s->pds[i].name);

	for (size_t v = 0; v < s->npds; v++) {
		int line;

		if (colour[v] == 0 && ppc_dfs(&c, (int)v, colour, stack, 0, &line))
			return -1;
	}
	for (size_t i = 0; i < s->nchannels; i++) {
		const struct sys_channel *ch = &s->channels[i];

		for (int k = 0; k < 2; k++) {
			const struct sys_pd *a = &s->pds[ch->end[k].pd], *b = &s->pds[ch->end[1 - k].pd];

			if (ch->end[k].pp && a->priority >= b->priority)
				return fail(&c, ch->end[k].line, "end",
					    "PPC from '%s' (priority %u) to '%s' (priority %u): a PPC must go to a protection domain of strictly higher priority",
					    a->name, a->priority, b->name, b->priority);
		}
	}
	return 0;
}

int sys_resolve_images(struct sys_system *s, const char *const *search_path, size_t n,
		       char *err, size_t errlen)
{
	for (size_t i = 0; i < s->npds; i++) {
		struct sys_pd *pd = &s->pds[i];
		char *found = NULL;

		free(pd->image_path);
		pd->image_path = NULL;
		if (pd->image[0] == '/') {
			if (access(pd->image, F_OK) == 0 && !(found = strdup(pd->image)))
				abort();
		} else {
			for (size_t d = 0; d < n && !found; d++) {
				size_t len = strlen(search_path[d]) + strlen(pd->image) + 2;
				char *p = malloc(len);
				struct stat st;

				if (!p)
					abort();
				snprintf(p, len, "%s/%s", search_path[d], pd->image);
				if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
					found = p;
				else
					free(p);
			}
		}
		if (!found) {
			size_t off = 0;

			off += (size_t)snprintf(err + off, errlen - off,
						"%s:%d: program_image: '%s' of protection domain '%s' not found on the search path (",
						s->file, pd->image_line, pd->image, pd->name);
			for (size_t d = 0; d < n && off < errlen; d++)
				off += (size_t)snprintf(err + off, errlen - off, "%s%s", d ? ", " : "",
							search_path[d]);
			if (off < errlen)
				snprintf(err + off, errlen - off, "%s)", n ? "" : "empty");
			sys_oneline(err);
			return -1;
		}
		if (access(found, X_OK) != 0) {
			snprintf(err, errlen,
				 "%s:%d: program_image: '%s' of protection domain '%s' is not executable",
				 s->file, pd->image_line, found, pd->name);
			sys_oneline(err);
			free(found);
			return -1;
		}
		pd->image_path = found;
	}
	return 0;
}

int sys_load(const char *path, const char *const *search_path, size_t n,
	     struct sys_system **out, char *err, size_t errlen)
{
	struct sys_system *s;

	*out = NULL;
	if (sys_parse_file(path, &s, err, errlen))
		return -1;
	if (sys_validate(s, err, errlen) || sys_resolve_images(s, search_path, n, err, errlen)) {
		sys_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
