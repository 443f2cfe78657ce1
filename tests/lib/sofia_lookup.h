/*
 * sofia_lookup.h: watches sofia's host name lookups, for the test programs
 * that run a SIP stack (test_sip, fuzz_sipstack).
 *
 * sofia resolves a host it sends to by su_getaddrinfo() on its stack
 * thread, which blocks until DNS answers: every call's signalling waits,
 * 5 s where DNS does not answer. A name from a peer must never get there
 * (transport/sip.c, via_add_received). sofia's calls go through the PLT,
 * so the definition below, in the one .c file of the program that
 * includes this, takes their place: each lookup of a name rather than an
 * address is counted in sofia_name_lookups and, when sofia_lookup_fatal
 * is set, aborts with the name; every lookup then goes on to sofia's.
 * Needs _GNU_SOURCE (RTLD_NEXT) before the first system header.
 */
#ifndef MCU_TESTS_LIB_SOFIA_LOOKUP_H
#define MCU_TESTS_LIB_SOFIA_LOOKUP_H

#include <dlfcn.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su.h>

static atomic_int sofia_name_lookups;
static bool sofia_lookup_fatal;

/* What getaddrinfo() reads as an address without asking DNS (glibc
   also takes "063.0.0.1", octal, but not "089.0.0.1"). */
static bool sofia_lookup_is_address(const char *node)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *res = NULL;
	if (getaddrinfo(node, NULL, &hints, &res) != 0)
		return false;
	freeaddrinfo(res);
	return true;
}

typedef int sofia_getaddrinfo_fn(char const *node, char const *service,
                                 su_addrinfo_t const *hints,
                                 su_addrinfo_t **res);

int su_getaddrinfo(char const *node, char const *service,
                   su_addrinfo_t const *hints, su_addrinfo_t **res)
{
	static sofia_getaddrinfo_fn *real;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "su_getaddrinfo");
	if (node && !sofia_lookup_is_address(node)) {
		atomic_fetch_add(&sofia_name_lookups, 1);
		if (sofia_lookup_fatal) {
			fprintf(stderr,
			        "sofia looks up the name \"%.200s\" on its "
			        "stack thread\n",
			        node);
			abort();
		}
	}
	return real(node, service, hints, res);
}

#endif
