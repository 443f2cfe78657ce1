/*
 * utf8: text from outside (roster names, SIP display names, API bodies,
 * library messages that quote them) checked and repaired before it goes
 * where only valid UTF-8 may: SQLite text, JSON strings. Strict RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF. Any thread.
 */
#ifndef MCU_UTF8_H
#define MCU_UTF8_H

#include <stdbool.h>

/* Whether the NUL-terminated `s` is valid UTF-8. */
bool mcu_utf8_valid(const char *s);

/* A malloc()ed copy of `s` with every invalid byte replaced by U+FFFD;
   NULL on ENOMEM. */
char *mcu_utf8_repair(const char *s);

#endif
