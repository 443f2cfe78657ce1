/* test-libs: mcu_conf */
/*
 * The logger's line (prefix, context, message) and what it does with text
 * from outside: control characters and bytes that are not UTF-8 are
 * written as \xNN, long lines are cut without splitting a character or an
 * escape. Also conf/utf8's sequence check, which it uses. Lines are read
 * back from stderr, redirected to a file (no writer thread: direct writes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/testutil.h"

#define MCU_LOG_MODULE "testlog"
#include "conf/log.h"
#include "conf/utf8.h"

/* The message part of the line mcu_log_info(fmt, arg) writes (after the
   prefix "DATE TIME LEVEL MODULE "), into out; returns the whole line's
   length (with its newline). */
static size_t logged(char *out, size_t size, const char *fmt, const char *arg)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	mcu_log_info(fmt, arg);
#pragma GCC diagnostic pop
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	char line[2048];
	rewind(f);
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	/* exactly one line */
	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + n - 1);
	const char *m = strstr(line, "testlog");
	assert_non_null(m);
	m += strlen("testlog");
	while (*m == ' ')
		m++;
	snprintf(out, size, "%.*s", (int)(line + n - 1 - m), m);
	return n;
}

static void plain_line(void **state)
{
	(void)state;
	char m[1024];
	logged(m, sizeof(m), "call %s ended", "abc@host");
	assert_string_equal(m, "call abc@host ended");
	mcu_log_set_context("giao-ban/ubnd-tp");
	logged(m, sizeof(m), "%s", "joined");
	mcu_log_set_context(NULL);
	assert_string_equal(m, "[giao-ban/ubnd-tp] joined");
}

/* A SIP Call-ID with a terminal escape and line breaks (sofia lets such
   bytes through in a Call-ID; fuzz_sipstack's log showed them raw). */
static void control_characters(void **state)
{
	(void)state;
	char m[1024];
	logged(m, sizeof(m), "call %s ended", "a\x1b[31mb\rc\nd\te\x7f");
	assert_string_equal(m, "call a\\x1b[31mb\\x0dc\\x0ad\te\\x7f ended");
	/* C1 controls (U+0080..U+009F: U+009B is the 8-bit CSI) too */
	logged(m, sizeof(m), "%s", "x\xc2\x9b" "1m\xc2\xa0y");
	assert_string_equal(m, "x\\xc2\\x9b1m\xc2\xa0y");
}

static void invalid_utf8(void **state)
{
	(void)state;
	char m[1024];
	/* Vietnamese stays as it is */
	logged(m, sizeof(m), "%s", "Điểm cầu Phường 1");
	assert_string_equal(m, "Điểm cầu Phường 1");
	/* a stray byte, a cut sequence, an overlong '/', a surrogate */
	logged(m, sizeof(m), "%s", "a\xff" "b\xe1\xba" "c\xc0\xaf" "d\xed\xa0\x80");
	assert_string_equal(m, "a\\xffb\\xe1\\xbac\\xc0\\xafd\\xed\\xa0\\x80");
	assert_true(mcu_utf8_valid(m));
}

/* A long line is cut to the line's size, whole characters and escapes. */
static void long_lines(void **state)
{
	(void)state;
	char big[1600], m[1024];
	for (int i = 0; i < 500; i++)
		memcpy(big + 3 * i, "\xe1\xbb\x87", 3); /* ệ */
	big[1500] = '\0';
	size_t n = logged(m, sizeof(m), "%s", big);
	assert_true(n <= 512);
	assert_true(n > 400);
	assert_true(mcu_utf8_valid(m));
	assert_int_equal(strlen(m) % 3, 0);
	for (int i = 0; i < 1500; i++)
		big[i] = '\x01';
	n = logged(m, sizeof(m), "%s", big);
	assert_true(n <= 512);
	size_t len = strlen(m);
	assert_int_equal(len % 4, 0);
	for (size_t i = 0; i < len; i += 4)
		assert_memory_equal(m + i, "\\x01", 4);
}

static void utf8_sequences(void **state)
{
	(void)state;
	assert_int_equal(mcu_utf8_seq("a", 1), 1);
	assert_int_equal(mcu_utf8_seq("\xc3\xa2", 2), 2);
	assert_int_equal(mcu_utf8_seq("\xe1\xbb\x87", 3), 3);
	assert_int_equal(mcu_utf8_seq("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(mcu_utf8_seq("\xe1\xbb\x87", 2), 0);    /* cut */
	assert_int_equal(mcu_utf8_seq("\xc1\xbf", 2), 0);        /* overlong */
	assert_int_equal(mcu_utf8_seq("\xe0\x80\xaf", 3), 0);    /* overlong */
	assert_int_equal(mcu_utf8_seq("\xed\xa0\x80", 3), 0);    /* surrogate */
	assert_int_equal(mcu_utf8_seq("\xf4\x90\x80\x80", 4), 0); /* > 10FFFF */
	assert_int_equal(mcu_utf8_seq("\x80", 1), 0);
	assert_int_equal(mcu_utf8_seq("\xc3(", 2), 0);
	char *r = mcu_utf8_repair("a\xffz");
	assert_non_null(r);
	assert_string_equal(r, "a\xef\xbf\xbdz");
	free(r);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(plain_line),
	cmocka_unit_test(control_characters),
	cmocka_unit_test(invalid_utf8),
	cmocka_unit_test(long_lines),
	cmocka_unit_test(utf8_sequences),
};

MCU_TEST_MAIN(tests, NULL, NULL)
