// SPDX-License-Identifier: BSD-2-Clause
// A C++ program built against an installed rumpbridge (tests/install): the
// public structs are embedded in a C++ object and used from green threads.
#include <cstdint>
#include <cstdio>

#include <rumpbridge/dom.h>

namespace {

struct counter {
	dom_mutex lock;
	unsigned long n;
};

void *bump(void *arg)
{
	counter *c = static_cast<counter *>(arg);

	if (dom_mutex_enter(&c->lock) != 0)
		return nullptr;
	c->n++;
	dom_mutex_exit(&c->lock);
	return arg;
}

} // namespace

int main()
{
	const int calls = 100;
	dom_config cfg{};
	dom *d = nullptr;
	counter c{};
	int ok = 0;

	cfg.name = "consumer-cxx";
	cfg.vcpus = 2;
	if (dom_create(&d, &cfg) != 0 || dom_mutex_init(&c.lock) != 0) {
		std::fprintf(stderr, "consumer-cxx: setup failed\n");
		return 1;
	}
	for (int i = 0; i < calls; i++) {
		void *ret = nullptr;

		if (dom_call(d, bump, &c, &ret) == 0 && ret == &c)
			ok++;
	}
	if (dom_mutex_destroy(&c.lock) != 0 || dom_destroy(d) != 0)
		return 1;
	std::printf("consumer-cxx: %d calls, counter %lu\n", ok, c.n);
	return ok == calls && c.n == static_cast<unsigned long>(calls) ? 0 : 1;
}
