/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rb_test.h"

static void create_place_and_destroy(void **state)
{
	(void)state;
	struct mk_region r;
	void *p;

	assert_int_equal(mk_region_create(&r, "r1", 8192), 0);
	assert_non_null(r.base);
	assert_int_equal(r.size, 8192);
	assert_string_equal(r.name, "r1");
	assert_int_equal(((char *)r.base)[100], 0); /* zero-filled */
	assert_int_equal(mk_region_at(&r, 4096, 4096, 64, &p), 0);
	assert_ptr_equal(p, (char *)r.base + 4096);
	assert_int_equal(mk_region_at(&r, 4096, 4097, 64, &p), -ERANGE);
	assert_int_equal(mk_region_at(&r, 8192, 1, 1, &p), -ERANGE);
	assert_int_equal(mk_region_at(&r, 1, SIZE_MAX, 1, &p), -ERANGE); /* overflow */
	assert_int_equal(mk_region_at(&r, 8, 8, 16, &p), -EINVAL);	  /* misaligned */
	assert_int_equal(mk_region_at(&r, 0, 8, 3, &p), -EINVAL);	  /* not a power of 2 */
	assert_int_equal(mk_region_destroy(&r), 0);
	assert_int_equal(mk_region_at(&r, 0, 8, 8, &p), -EBADF);
	assert_int_equal(mk_region_destroy(&r), -EBADF);
}

static void bad_create_arguments(void **state)
{
	(void)state;
	struct mk_region r;

	assert_int_equal(mk_region_create(NULL, "x", 10), -EINVAL);
	assert_int_equal(mk_region_create(&r, "x", 0), -EINVAL);
	assert_int_equal(mk_region_create(&r, NULL, 10), -EINVAL);
	assert_int_equal(mk_region_create(&r, "a-name-that-is-longer-than-31-chars", 10),
			 -ENAMETOOLONG);
	assert_int_equal(mk_region_create(&r, "huge", SIZE_MAX), -EOVERFLOW);
}

static void too_small_for_an_object(void **state)
{
	(void)state;
	struct mk_region r;
	void *p;

	assert_int_equal(mk_region_create(&r, "small", 16), 0);
	assert_int_equal(mk_region_at(&r, 0, sizeof(struct mk_endpoint), 64, &p), -ERANGE);
	assert_int_equal(mk_region_at(&r, 0, sizeof(struct mk_notification), 8, &p), -ERANGE);
	mk_region_destroy(&r);
}

static void attach_checks_handle_and_size(void **state)
{
	(void)state;
	struct mk_region r, a;

	assert_int_equal(mk_region_create(&r, "att", 4096), 0);
	assert_int_equal(mk_region_attach(&a, r.handle, 8192), -ERANGE);
	assert_int_equal(mk_region_attach(&a, -1, 4096), -EBADF);
	int fd = open("/dev/null", O_RDONLY);
	assert_int_equal(mk_region_attach(&a, fd, 4096), -EBADF);
	close(fd);
	assert_int_equal(mk_region_attach(&a, r.handle, 4096), 0);
	assert_string_equal(a.name, "att");
	((char *)r.base)[10] = 42;
	assert_int_equal(((char *)a.base)[10], 42); /* same memory */
	mk_region_destroy(&a);
	mk_region_destroy(&r);
}

static void shared_with_a_child_process(void **state)
{
	(void)state;
	struct mk_region r;
	int status;

	assert_int_equal(mk_region_create(&r, "child", 4096), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mk_region c;
		if (mk_region_attach(&c, r.handle, 4096) != 0)
			_exit(1);
		strcpy(c.base, "written by the child");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(r.base, "written by the child");
	mk_region_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_place_and_destroy),
		cmocka_unit_test(bad_create_arguments),
		cmocka_unit_test(too_small_for_an_object),
		cmocka_unit_test(attach_checks_handle_and_size),
		cmocka_unit_test(shared_with_a_child_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
