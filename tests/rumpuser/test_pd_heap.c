/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PD's rump kernel allocator (src/rumpuser/microkit/heap.c), on the
 * host: alignment, reuse after free, merging, exhaustion, bad frees, and
 * a randomised mix checked against a shadow copy of every block's bytes.
 */
#include "rb_test.h"

#include <string.h>

#include "rumpuser/microkit/heap.h"

#define REGION (1u << 20)

static _Alignas(4096) unsigned char region[REGION];
static _Alignas(64) unsigned char elsewhere[256];

static void test_align_and_reuse(void **state)
{
	struct ru_heap h;
	void *p[8], *q;
	size_t aligns[] = {1, 16, 64, 256, 4096, 8192, 65536, 8};

	(void)state;
	assert_int_equal(ru_heap_init(&h, region + 8, REGION - 8), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(ru_heap_alloc(&h, 1000 + (size_t)i * 3000, aligns[i], &p[i]), 0);
		assert_int_equal((uintptr_t)p[i] % (aligns[i] < 16 ? 16 : aligns[i]), 0);
		assert_true(ru_heap_size(&h, p[i]) >= 1000 + (size_t)i * 3000);
		memset(p[i], 0xa0 + i, 1000 + (size_t)i * 3000);
		assert_int_equal(ru_heap_check(&h), 0);
	}
	for (int i = 0; i < 8; i++) {
		unsigned char *b = p[i];
		for (size_t k = 0; k < 1000 + (size_t)i * 3000; k++)
			assert_int_equal(b[k], 0xa0 + i);
	}
	for (int i = 0; i < 8; i += 2)
		assert_int_equal(ru_heap_free(&h, p[i]), 0);
	assert_int_equal(ru_heap_check(&h), 0);
	for (int i = 1; i < 8; i += 2)
		assert_int_equal(ru_heap_free(&h, p[i]), 0);
	assert_int_equal(ru_heap_check(&h), 0);
	/* everything merged back: one block, nothing used */
	assert_int_equal(h.nfree, 1);
	assert_int_equal(h.used, 0);
	assert_true(h.peak > 8 * 1000);
	/* the whole region again, in one piece */
	assert_int_equal(ru_heap_alloc(&h, REGION - 64 - 8, 16, &q), 0);
	assert_int_equal(ru_heap_free(&h, q), 0);
	assert_int_equal(h.allocs, 9);
	assert_int_equal(h.frees, 9);
}

static void test_errors(void **state)
{
	struct ru_heap h;
	void *p, *q;

	(void)state;
	assert_int_equal(ru_heap_init(&h, NULL, REGION), -EINVAL);
	assert_int_equal(ru_heap_init(&h, region, 40), -EINVAL);
	assert_int_equal(ru_heap_init(&h, region, REGION), 0);
	assert_int_equal(ru_heap_alloc(&h, 10, 3, &p), -EINVAL);
	assert_int_equal(ru_heap_alloc(&h, 10, 0, &p), -EINVAL);
	assert_int_equal(ru_heap_alloc(&h, 10, 16, NULL), -EINVAL);
	assert_int_equal(ru_heap_alloc(&h, REGION, 16, &p), -ENOMEM);
	assert_int_equal(ru_heap_alloc(&h, SIZE_MAX, 16, &p), -ENOMEM);
	assert_int_equal(ru_heap_alloc(&h, REGION / 2, 1u << 30, &p), -ENOMEM);
	assert_int_equal(h.failed, 3);
	assert_int_equal(ru_heap_alloc(&h, 100, 16, &p), 0);
	assert_int_equal(ru_heap_alloc(&h, 100, 16, &q), 0);
	assert_int_equal(ru_heap_free(&h, (char *)p + 16), -EINVAL); /* inside a block */
	assert_int_equal(ru_heap_free(&h, (char *)p + 1), -EINVAL);  /* misaligned */
	assert_int_equal(ru_heap_free(&h, elsewhere + 64), -EINVAL);  /* outside */
	assert_int_equal(ru_heap_free(&h, NULL), 0);
	assert_int_equal(ru_heap_free(&h, p), 0);
	assert_int_equal(ru_heap_free(&h, p), -EINVAL); /* double free */
	assert_int_equal(ru_heap_free(&h, q), 0);
	assert_int_equal(ru_heap_free(&h, q), -EINVAL); /* double free, merged */
	assert_int_equal(ru_heap_check(&h), 0);
	assert_int_equal(h.used, 0);
	assert_int_equal(h.nfree, 1);
}

/* Until the region is full, then in a steady state: random sizes and
 * alignments, random frees; every live block keeps its own fill byte. */
static void test_random_mix(void **state)
{
	enum { SLOTS = 256 };
	struct ru_heap h;
	void *p[SLOTS] = {0};
	size_t len[SLOTS] = {0};
	uint64_t x = 0x9e3779b97f4a7c15u, sum_in = 0, sum_out = 0;
	unsigned nomem = 0;

	(void)state;
	assert_int_equal(ru_heap_init(&h, region, REGION), 0);
	for (int it = 0; it < RB_SCALE(40000); it++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned s = (unsigned)(x % SLOTS);
		if (p[s] != NULL) {
			unsigned char *b = p[s];
			for (size_t k = 0; k < len[s]; k++) {
				assert_int_equal(b[k], (unsigned char)(s + len[s]));
				sum_out += b[k];
			}
			assert_int_equal(ru_heap_free(&h, p[s]), 0);
			p[s] = NULL;
		} else {
			size_t l = (size_t)(x >> 20) % ((x >> 40) % 4 == 0 ? 20000 : 600);
			size_t a = (size_t)1 << ((x >> 50) % 14);
			int r = ru_heap_alloc(&h, l, a, &p[s]);
			if (r == -ENOMEM) {
				nomem++;
				p[s] = NULL;
				continue;
			}
			assert_int_equal(r, 0);
			assert_int_equal((uintptr_t)p[s] % (a < 16 ? 16 : a), 0);
			assert_true((unsigned char *)p[s] >= region &&
				    (unsigned char *)p[s] + l <= region + REGION);
			len[s] = l;
			memset(p[s], (unsigned char)(s + l), l);
			sum_in += (unsigned char)(s + l) * (uint64_t)l;
		}
		if (it % 64 == 0)
			assert_int_equal(ru_heap_check(&h), 0);
	}
	for (unsigned s = 0; s < SLOTS; s++) {
		if (p[s] == NULL)
			continue;
		for (size_t k = 0; k < len[s]; k++)
			sum_out += ((unsigned char *)p[s])[k];
		assert_int_equal(ru_heap_free(&h, p[s]), 0);
	}
	/* checksum: every byte written came back unchanged, once */
	assert_int_equal(sum_in, sum_out);
	assert_int_equal(ru_heap_check(&h), 0);
	assert_int_equal(h.used, 0);
	assert_int_equal(h.nfree, 1);
	(void)nomem;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_align_and_reuse),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_random_mix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
