/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading a .system file: libxml2 parses it (no network, no entity
 * expansion, no DTD), the embedded schema (system.xsd) validates its shape,
 * and the tree becomes a struct sys_system.  The rules XML Schema cannot
 * express are in system_validate.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "system.h"

/* Files larger than this are refused before parsing. */
#define SYS_MAX_FILE (16u << 20)

struct pctx {
	const char *file;
	char *err;
	size_t errlen;
	int failed;
	struct sys_system *s;
};

static int failv(struct pctx *c, int line, const char *elem, const char *fmt, va_list ap)
{
	char msg[768];

	if (c->failed)
		return -1;
	c->failed = 1;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (elem)
		snprintf(c->err, c->errlen, "%s:%d: %s: %s", c->file, line, elem, msg);
	else
		snprintf(c->err, c->errlen, "%s:%d: %s", c->file, line, msg);
	if (c->errlen)
		sys_oneline(c->err);
	return -1;
}

__attribute__((format(printf, 4, 5))) static int fail(struct pctx *c, int line, const char *elem,
							const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = failv(c, line, elem, fmt, ap);
	va_end(ap);
	return r;
}

/* libxml2's own messages (well-formedness, schema): keep the first. */
static void xml_error(void *data, xmlErrorPtr e)
{
	struct pctx *c = data;
	char msg[600];
	size_t n;

	if (c->failed || !e)
		return;
	snprintf(msg, sizeof msg, "%s", e->message ? e->message : "unknown XML error");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	/* One line: libxml2 puts details ("Bytes: 0xDC ...") on a second. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = *(p + 1) == ' ' ? ';' : ' ';
	fail(c, e->line, NULL, "%s", msg);
}

static void xml_silent(void *data, xmlErrorPtr e)
{
	(void)data;
	(void)e;
}

static int line_of(const xmlNode *n)
{
	return (int)xmlGetLineNo(n);
}

static const char *ename(const xmlNode *n)
{
	return (const char *)n->name;
}

static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *r;

	if (!v)
		return NULL;
	r = strdup((const char *)v);
	xmlFree(v);
	if (!r)
		abort();
	return r;
}

/* The tool's sdf_parse_number: decimal or 0x hex, '_' ignored. */
static int parse_number(struct pctx *c, const xmlNode *n, const char *name, const char *v,
			uint64_t *out)
{
	int base = 10, digits = 0;
	uint64_t x = 0;
	const char *p = v;

	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	}
	for (; *p; p++) {
		unsigned d;

		if (*p == '_')
			continue;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return fail(c, line_of(n), ename(n), "%s '%s' is not a number", name, v);
		if (x > (UINT64_MAX - d) / (unsigned)base)
			return fail(c, line_of(n), ename(n), "%s '%s' is too large", name, v);
		x = x * (unsigned)base + d;
		digits++;
	}
	if (!digits)
		return fail(c, line_of(n), ename(n), "%s '%s' is not a number", name, v);
	*out = x;
	return 0;
}

static int num_attr(struct pctx *c, const xmlNode *n, const char *name, uint64_t dflt,
		    uint64_t *out)
{
	char *v = attr(n, name);
	int r = 0;

	if (!v) {
		*out = dflt;
		return 0;
	}
	r = parse_number(c, n, name, v, out);
	free(v);
	return r;
}

static bool bool_attr(const xmlNode *n, const char *name, bool dflt)
{
	char *v = attr(n, name);
	bool r = dflt;

	if (v)
		r = strcmp(v, "true") == 0; /* the schema allows only true / false */
	free(v);
	return r;
}

#define GROW(arr, n)                                                                     \
	do {                                                                             \
		void *np_ = realloc((arr), ((n) + 1) * sizeof *(arr));                   \
		if (!np_)                                                                \
			abort();                                                         \
		(arr) = np_;                                                             \
		memset(&(arr)[(n)], 0, sizeof *(arr));                                   \
	} while (0)

/* <?rumpbridge key="value" ...?> inside a protection_domain. */
static int parse_pi(struct pctx *c, const xmlNode *pi, struct sys_pd *pd)
{
	const char *p = (const char *)pi->content;
	int line = line_of(pi);

	if (!p)
		return 0;
	for (;;) {
		char key[32], val[64];
		size_t k = 0, v = 0;
		char q;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			return 0;
		while ((*p >= 'a' && *p <= 'z') || *p == '_') {
			if (k + 1 >= sizeof key)
				return fail(c, line, "rumpbridge", "setting name too long");
			key[k++] = *p++;
		}
		key[k] = 0;
		if (!k || *p != '=' || (p[1] != '"' && p[1] != '\''))
			return fail(c, line, "rumpbridge",
				    "expected name=\"value\" pairs, found '%.20s'", p);
		q = p[1];
		p += 2;
		while (*p && *p != q) {
			if (v + 1 >= sizeof val)
				return fail(c, line, "rumpbridge", "value of '%s' too long", key);
			val[v++] = *p++;
		}
		if (*p != q)
			return fail(c, line, "rumpbridge", "unterminated value of '%s'", key);
		p++;
		val[v] = 0;
		if (strcmp(key, "vcpus") == 0) {
			char *end;
			unsigned long x = strtoul(val, &end, 10);

			if (!*val || *end || x < 1 || x > 64)
				return fail(c, line, "rumpbridge",
					    "vcpus must be a number from 1 to 64, not '%s'", val);
			pd->vcpus = (unsigned)x;
			pd->domain = true;
		} else if (strcmp(key, "threads") == 0) {
			if (strcmp(val, "green") == 0)
				pd->plain_threads = false;
			else if (strcmp(val, "plain") == 0)
				pd->plain_threads = true;
			else
				return fail(c, line, "rumpbridge",
					    "threads must be 'green' or 'plain', not '%s'", val);
			pd->domain = true;
		} else if (strcmp(key, "on_crash") == 0) {
			if (strcmp(val, "stop") == 0)
				pd->on_crash = SYS_ON_CRASH_STOP;
			else if (strcmp(val, "restart") == 0)
				pd->on_crash = SYS_ON_CRASH_RESTART;
			else if (strcmp(val, "ignore") == 0)
				pd->on_crash = SYS_ON_CRASH_IGNORE;
			else
				return fail(c, line, "rumpbridge",
					    "on_crash must be 'stop', 'restart' or 'ignore', not '%s'",
					    val);
		} else if (strcmp(key, "cpu") == 0) {
			char *end;
			unsigned long x = strtoul(val, &end, 10);

			if (!*val || *end || *val == '-' || x > SYS_MAX_CPU)
				return fail(c, line, "rumpbridge",
					    "cpu must be a CPU number from 0 to %d, not '%s'",
					    SYS_MAX_CPU, val);
			pd->cpu = (int)x;
		} else if (strcmp(key, "netns") == 0) {
			/* the only value: "host" would grant nothing a PD
			 * without the setting lacks, so it is not a value */
			if (strcmp(val, "own") != 0)
				return fail(c, line, "rumpbridge", "netns must be 'own', not '%s'",
					    val);
			pd->netns_own = true;
		} else {
			return fail(c, line, "rumpbridge", "unknown setting '%s'", key);
		}
	}
}

static int parse_map(struct pctx *c, const xmlNode *n, struct sys_map *m)
{
	char *perms;

	m->line = line_of(n);
	m->mr = attr(n, "mr");
	m->region = -1;
	if (num_attr(c, n, "vaddr", 0, &m->vaddr))
		return -1;
	perms = attr(n, "perms");
	if (perms) {
		m->perms = 0;
		for (const char *p = perms; *p; p++)
			m->perms |= *p == 'r' ? SYS_PERM_R : *p == 'w' ? SYS_PERM_W : SYS_PERM_X;
		free(perms);
	} else {
		m->perms = SYS_PERM_R | SYS_PERM_W;
	}
	m->cached = bool_attr(n, "cached", true);
	m->setvar_vaddr = attr(n, "setvar_vaddr");
	m->setvar_size = attr(n, "setvar_size");
	return 0;
}

static int parse_pd(struct pctx *c, const xmlNode *n, int parent);

static int parse_pd_body(struct pctx *c, const xmlNode *n, int idx)
{
	struct sys_pd *pd = &c->s->pds[idx];
	uint64_t v;

	pd->name = attr(n, "name");
	pd->line = line_of(n);
	pd->vcpus = 1;
	pd->cpu = -1;
	if (num_attr(c, n, "priority", 0, &v))
		return -1;
	if (v > SYS_MAX_PRIORITY)
		return fail(c, pd->line, ename(n), "priority must be between 0 and %d, not %llu",
			    SYS_MAX_PRIORITY, (unsigned long long)v);
	pd->priority = (unsigned)v;
	if (num_attr(c, n, "budget", SYS_DEFAULT_BUDGET, &pd->budget) ||
	    num_attr(c, n, "period", pd->budget, &pd->period) ||
	    num_attr(c, n, "stack_size", SYS_MIN_STACK, &pd->stack_size))
		return -1;
	pd->passive = bool_attr(n, "passive", false);
	pd->smc = bool_attr(n, "smc", false);
	if (pd->has_id) {
		char *id = attr(n, "id");
		uint64_t x;
		int r = parse_number(c, n, "id", id, &x);

		free(id);
		if (r)
			return -1;
		if (x > SYS_MAX_ID)
			return fail(c, pd->line, ename(n), "id %llu is out of range 0..%d",
				    (unsigned long long)x, SYS_MAX_ID);
		pd->id = (unsigned)x;
	}
	for (const xmlNode *ch = n->children; ch; ch = ch->next) {
		const char *cn = ename(ch);

		if (ch->type == XML_PI_NODE) {
			if (strcmp(cn, "rumpbridge") == 0 && parse_pi(c, ch, &c->s->pds[idx]))
				return -1;
			continue;
		}
		if (ch->type != XML_ELEMENT_NODE)
			continue;
		pd = &c->s->pds[idx]; /* parse_pd may move the array */
		if (strcmp(cn, "program_image") == 0) {
			if (pd->image)
				return fail(c, line_of(ch), cn,
					    "program_image must only be given once in protection_domain '%s'",
					    pd->name);
			pd->image = attr(ch, "path");
			pd->image_line = line_of(ch);
		} else if (strcmp(cn, "map") == 0) {
			GROW(pd->maps, pd->nmaps);
			if (parse_map(c, ch, &pd->maps[pd->nmaps++]))
				return -1;
		} else if (strcmp(cn, "irq") == 0) {
			struct sys_irq *q;
			uint64_t id;
			char *trig;

			GROW(pd->irqs, pd->nirqs);
			q = &pd->irqs[pd->nirqs++];
			q->line = line_of(ch);
			if (num_attr(c, ch, "irq", 0, &q->irq) || num_attr(c, ch, "id", 0, &id))
				return -1;
			if (id > SYS_MAX_ID)
				return fail(c, q->line, cn, "id %llu is out of range 0..%d",
					    (unsigned long long)id, SYS_MAX_ID);
			q->id = (unsigned)id;
			trig = attr(ch, "trigger");
			q->edge = trig && strcmp(trig, "edge") == 0;
			free(trig);
		} else if (strcmp(cn, "setvar") == 0) {
			struct sys_setvar *sv;

			GROW(pd->setvars, pd->nsetvars);
			sv = &pd->setvars[pd->nsetvars++];
			sv->line = line_of(ch);
			sv->symbol = attr(ch, "symbol");
			sv->region = attr(ch, "region_paddr");
		} else if (strcmp(cn, "protection_domain") == 0) {
			if (parse_pd(c, ch, idx))
				return -1;
		} else if (strcmp(cn, "virtual_machine") == 0) {
			if (pd->has_vm)
				return fail(c, line_of(ch), cn,
					    "virtual_machine must only be given once in protection_domain '%s'",
					    pd->name);
			pd->has_vm = true;
			pd->vm_line = line_of(ch);
		}
	}
	return 0;
}

static int parse_pd(struct pctx *c, const xmlNode *n, int parent)
{
	struct sys_system *s = c->s;
	int idx = (int)s->npds;

	if (s->npds >= SYS_MAX_PDS)
		return fail(c, line_of(n), ename(n),
			    "too many protection domains (the Microkit allows %d)", SYS_MAX_PDS);
	GROW(s->pds, s->npds);
	s->npds++;
	s->pds[idx].parent = parent;
	s->pds[idx].has_id = parent >= 0;
	return parse_pd_body(c, n, idx);
}

static int parse_end(struct pctx *c, const xmlNode *n, struct sys_end *e)
{
	uint64_t id;

	e->line = line_of(n);
	e->pd = -1;
	e->pd_name = attr(n, "pd");
	if (num_attr(c, n, "id", 0, &id))
		return -1;
	if (id > SYS_MAX_ID)
		return fail(c, e->line, ename(n), "id %llu is out of range 0..%d",
			    (unsigned long long)id, SYS_MAX_ID);
	e->id = (unsigned)id;
	e->pp = bool_attr(n, "pp", false);
	e->notify = bool_attr(n, "notify", true);
	return 0;
}

static int build(struct pctx *c, const xmlNode *root)
{
	struct sys_system *s = c->s;

	for (const xmlNode *n = root->children; n; n = n->next) {
		const char *cn = ename(n);

		if (n->type == XML_PI_NODE && strcmp(cn, "rumpbridge") == 0)
			return fail(c, line_of(n), "rumpbridge",
				    "this instruction belongs inside a protection_domain");
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp(cn, "protection_domain") == 0) {
			if (parse_pd(c, n, -1))
				return -1;
		} else if (strcmp(cn, "memory_region") == 0) {
			struct sys_region *r;

			GROW(s->regions, s->nregions);
			r = &s->regions[s->nregions++];
			r->line = line_of(n);
			r->name = attr(n, "name");
			if (num_attr(c, n, "size", 0, &r->size) ||
			    num_attr(c, n, "page_size", SYS_PAGE_SIZE, &r->page_size))
				return -1;
			r->has_phys = xmlHasProp(n, (const xmlChar *)"phys_addr") != NULL;
			if (num_attr(c, n, "phys_addr", 0, &r->phys_addr))
				return -1;
		} else if (strcmp(cn, "channel") == 0) {
			struct sys_channel *ch;
			int k = 0;

			GROW(s->channels, s->nchannels);
			ch = &s->channels[s->nchannels++];
			ch->line = line_of(n);
			for (const xmlNode *e = n->children; e; e = e->next) {
				if (e->type != XML_ELEMENT_NODE)
					continue;
				if (k == 2) /* the schema allows exactly two */
					return fail(c, line_of(e), "channel",
						    "exactly two end elements must be given");
				if (parse_end(c, e, &ch->end[k++]))
					return -1;
			}
			if (k != 2)
				return fail(c, ch->line, "channel",
					    "exactly two end elements must be given");
		}
	}
	return 0;
}

int sys_parse_memory(const char *name, const char *buf, size_t len, struct sys_system **out,
		     char *err, size_t errlen)
{
	struct pctx c = {.file = name, .err = err, .errlen = errlen};
	xmlSchemaParserCtxtPtr spc = NULL;
	xmlSchemaPtr schema = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int r = -1;

	*out = NULL;
	if (errlen)
		err[0] = 0;
	if (len > SYS_MAX_FILE)
		return fail(&c, 0, NULL, "file larger than %u bytes", SYS_MAX_FILE);
	if (len > (size_t)0x7fffffff)
		return -1;
	LIBXML_TEST_VERSION;

	xmlSetStructuredErrorFunc(&c, xml_error);
	doc = xmlReadMemory(buf, (int)len, name, NULL,
			    XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc) {
		if (!c.failed)
			fail(&c, 0, NULL, "not a well-formed XML document");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "system") != 0) {
		fail(&c, root ? line_of(root) : 0, root ? ename(root) : NULL,
		     "the root element must be 'system'");
		goto out;
	}

	/* The schema is ours and valid: its parse errors are not the user's. */
	xmlSetStructuredErrorFunc(NULL, xml_silent);
	spc = xmlSchemaNewMemParserCtxt(sys_schema_xsd, (int)sys_schema_xsd_len);
	schema = spc ? xmlSchemaParse(spc) : NULL;
	vc = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
	if (!vc) {
		fail(&c, 0, NULL, "internal error: the embedded schema does not load");
		goto out;
	}
	xmlSetStructuredErrorFunc(&c, xml_error);
	xmlSchemaSetValidStructuredErrors(vc, xml_error, &c);
	if (xmlSchemaValidateDoc(vc, doc) != 0) {
		if (!c.failed)
			fail(&c, 0, NULL, "does not match the system schema");
		goto out;
	}

	c.s = calloc(1, sizeof *c.s);
	if (!c.s || !(c.s->file = strdup(name)))
		abort();
	c.s->line = line_of(root);
	if (build(&c, root) == 0) {
		*out = c.s;
		c.s = NULL;
		r = 0;
	}
out:
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (vc)
		xmlSchemaFreeValidCtxt(vc);
	if (schema)
		xmlSchemaFree(schema);
	if (spc)
		xmlSchemaFreeParserCtxt(spc);
	if (doc)
		xmlFreeDoc(doc);
	sys_free(c.s);
	return r;
}

int sys_parse_file(const char *path, struct sys_system **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			if (cap >= SYS_MAX_FILE + 1)
				break;
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + len, 1, cap - len, f);
		if (!got)
			break;
		len += got;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	r = sys_parse_memory(path, buf ? buf : "", len, out, err, errlen);
	free(buf);
	return r;
}

void sys_free(struct sys_system *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npds; i++) {
		struct sys_pd *pd = &s->pds[i];

		free(pd->name);
		free(pd->image);
		free(pd->image_path);
		for (size_t j = 0; j < pd->nmaps; j++) {
			free(pd->maps[j].mr);
			free(pd->maps[j].setvar_vaddr);
			free(pd->maps[j].setvar_size);
		}
		free(pd->maps);
		free(pd->irqs);
		for (size_t j = 0; j < pd->nsetvars; j++) {
			free(pd->setvars[j].symbol);
			free(pd->setvars[j].region);
		}
		free(pd->setvars);
	}
	free(s->pds);
	for (size_t i = 0; i < s->nregions; i++)
		free(s->regions[i].name);
	free(s->regions);
	for (size_t i = 0; i < s->nchannels; i++)
		for (int k = 0; k < 2; k++)
			free(s->channels[i].end[k].pd_name);
	free(s->channels);
	free(s->file);
	free(s);
}

int sys_find_pd(const struct sys_system *s, const char *name)
{
	for (size_t i = 0; i < s->npds; i++)
		if (s->pds[i].name && name && strcmp(s->pds[i].name, name) == 0)
			return (int)i;
	return -1;
}

int sys_find_region(const struct sys_system *s, const char *name)
{
	for (size_t i = 0; i < s->nregions; i++)
		if (s->regions[i].name && name && strcmp(s->regions[i].name, name) == 0)
			return (int)i;
	return -1;
}
