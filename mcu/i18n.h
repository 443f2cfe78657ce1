/*
 * i18n: operator-facing text (CLI messages about meetings, reports, the
 * dashboard's server-side strings) in Vietnamese by default, English on
 * request. Developer logs stay English and do not go through here.
 */
#ifndef MCU_I18N_H
#define MCU_I18N_H

enum mcu_lang {
	MCU_LANG_VI = 0,
	MCU_LANG_EN,
};

/* "vi" / "en" (case-insensitive); returns 0 or EINVAL. */
int mcu_i18n_parse(const char *name, enum mcu_lang *out);

/* The text for `key` in `lang`; the key itself when it is unknown. */
const char *mcu_i18n(enum mcu_lang lang, const char *key);

#endif
