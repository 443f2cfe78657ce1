/*
 * utf8: text from outside (roster names, SIP display names and Call-IDs,
 * API bodies, library messages that quote them) checked and repaired
 * before it goes where only valid UTF-8 may: SQLite text, JSON strings,
 * log lines. Strict RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF. In conf/, the base layer, so that the logger can use it.
 * Any thread.
 */
#ifndef MCU_CONF_UTF8_H
#define MCU_CONF_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence at `s`, of which `n` bytes
   may be read (n >= 1); 0 if the sequence is invalid or cut short. */
size_t mcu_utf8_seq(const char *s, size_t n);

/* Whether the NUL-terminated `s` is valid UTF-8. */
bool mcu_utf8_valid(const char *s);

/* A malloc()ed copy of `s` with every invalid byte replaced by U+FFFD;
   NULL on ENOMEM. */
char *mcu_utf8_repair(const char *s);

#endif
