/*
 * text: mcuctl's string table (Vietnamese by default, English).
 */
#ifndef MCUCTL_TEXT_H
#define MCUCTL_TEXT_H

enum mcuctl_lang {
	MCUCTL_VI = 0,
	MCUCTL_EN,
};

/* The text for `key`, or NULL when the table has none. */
const char *mcuctl_text(enum mcuctl_lang lang, const char *key);

#endif
