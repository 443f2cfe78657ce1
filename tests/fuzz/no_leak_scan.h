/*
 * no_leak_scan.h: for a fuzz target whose threads free an input's memory
 * after the input returned (a server, a SIP stack): libFuzzer's per-input
 * leak scan then fires after nearly every input, costs most of the run's
 * time and finds nothing the leak check at exit and the ASan replay in
 * ctest would not. Including this (in the target's one .c file) defines
 * LLVMFuzzerInitialize to add -detect_leaks=0 unless the command line sets
 * -detect_leaks itself.
 */
#ifndef MCU_TESTS_FUZZ_NO_LEAK_SCAN_H
#define MCU_TESTS_FUZZ_NO_LEAK_SCAN_H

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char flag[] = "-detect_leaks=0";
	static char *args[256];
	int n = *argc;
	for (int i = 1; i < n; i++)
		if (!strncmp((*argv)[i], "-detect_leaks=", 14))
			return 0;
	if (n + 2 > (int)(sizeof(args) / sizeof(args[0])))
		return 0;
	memcpy(args, *argv, (size_t)n * sizeof(char *));
	args[n] = flag;
	args[n + 1] = NULL;
	*argc = n + 1;
	*argv = args;
	return 0;
}

#endif
