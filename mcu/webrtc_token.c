#define MCU_LOG_MODULE "webrtc"
#include "mcu/webrtc_token.h"
#include "conf/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

bool mcu_webrtc_token_shape_ok(const char *s)
{
	if (!s || strnlen(s, MCU_WEBRTC_TOKEN_LEN + 1) != MCU_WEBRTC_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < MCU_WEBRTC_TOKEN_LEN; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

int mcu_webrtc_token_new(char token[MCU_WEBRTC_TOKEN_SIZE])
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	                            "opqrstuvwxyz0123456789-_";
	uint8_t raw[24];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return EIO;
	/* 24 bytes = 8 groups of 3 -> 32 characters, no padding. */
	for (size_t g = 0; g < 8; g++) {
		uint32_t v = (uint32_t)raw[3 * g] << 16 |
		             (uint32_t)raw[3 * g + 1] << 8 | raw[3 * g + 2];
		token[4 * g] = alpha[(v >> 18) & 63];
		token[4 * g + 1] = alpha[(v >> 12) & 63];
		token[4 * g + 2] = alpha[(v >> 6) & 63];
		token[4 * g + 3] = alpha[v & 63];
	}
	token[MCU_WEBRTC_TOKEN_LEN] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

bool mcu_webrtc_token_equal(const char *want, const char *got)
{
	uint8_t a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
	size_t wn;
	if (!want || !got)
		return false;
	wn = strlen(want);
	while (wn && (want[wn - 1] == '\n' || want[wn - 1] == '\r' ||
	              want[wn - 1] == ' ' || want[wn - 1] == '\t'))
		wn--;
	if (wn == 0)
		return false;
	/* Digests of equal length: the compare leaks nothing of either. */
	SHA256((const unsigned char *)want, wn, a);
	SHA256((const unsigned char *)got, strlen(got), b);
	bool eq = CRYPTO_memcmp(a, b, sizeof(a)) == 0;
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return eq;
}

struct link {
	uint8_t hash[SHA256_DIGEST_LENGTH];
	char meeting[MCU_WEBRTC_ID_MAX + 1];
	char endpoint[MCU_WEBRTC_ID_MAX + 1];
	int64_t expires_us;
	bool live;
};

struct mcu_webrtc_links {
	pthread_mutex_t lock;
	struct link links[MCU_WEBRTC_LINKS_MAX]; /* lock */
};

int mcu_webrtc_links_alloc(struct mcu_webrtc_links **lp)
{
	struct mcu_webrtc_links *l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	*lp = l;
	return 0;
}

struct mcu_webrtc_links *mcu_webrtc_links_free(struct mcu_webrtc_links *l)
{
	if (!l)
		return NULL;
	pthread_mutex_destroy(&l->lock);
	explicit_bzero(l, sizeof(*l));
	free(l);
	return NULL;
}

static void prune(struct mcu_webrtc_links *l, int64_t now_us)
{
	for (size_t i = 0; i < MCU_WEBRTC_LINKS_MAX; i++)
		if (l->links[i].live && l->links[i].expires_us <= now_us)
			memset(&l->links[i], 0, sizeof(l->links[i]));
}

int mcu_webrtc_links_add(struct mcu_webrtc_links *l, const char *meeting,
                         const char *endpoint, int64_t now_us, int64_t ttl_us,
                         char token[MCU_WEBRTC_TOKEN_SIZE])
{
	struct link *free_slot = NULL;
	int err;

	if (!meeting || !endpoint || ttl_us <= 0 ||
	    strlen(meeting) > MCU_WEBRTC_ID_MAX ||
	    strlen(endpoint) > MCU_WEBRTC_ID_MAX)
		return EINVAL;
	err = mcu_webrtc_token_new(token);
	if (err)
		return err;
	pthread_mutex_lock(&l->lock);
	prune(l, now_us);
	for (size_t i = 0; i < MCU_WEBRTC_LINKS_MAX && !free_slot; i++)
		if (!l->links[i].live)
			free_slot = &l->links[i];
	if (free_slot) {
		SHA256((const unsigned char *)token, MCU_WEBRTC_TOKEN_LEN,
		       free_slot->hash);
		snprintf(free_slot->meeting, sizeof(free_slot->meeting), "%s",
		         meeting);
		snprintf(free_slot->endpoint, sizeof(free_slot->endpoint), "%s",
		         endpoint);
		free_slot->expires_us = now_us + ttl_us;
		free_slot->live = true;
	}
	pthread_mutex_unlock(&l->lock);
	if (!free_slot) {
		explicit_bzero(token, MCU_WEBRTC_TOKEN_SIZE);
		return ENOSPC;
	}
	return 0;
}

int mcu_webrtc_links_find(struct mcu_webrtc_links *l, const char *token,
                          int64_t now_us, bool take, char *meeting,
                          char *endpoint, int64_t *expires_us)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	struct link *hit = NULL;

	if (!mcu_webrtc_token_shape_ok(token))
		return ENOENT;
	SHA256((const unsigned char *)token, MCU_WEBRTC_TOKEN_LEN, h);
	pthread_mutex_lock(&l->lock);
	prune(l, now_us);
	for (size_t i = 0; i < MCU_WEBRTC_LINKS_MAX; i++) {
		/* Every slot is compared: the time says nothing of where. */
		bool eq = l->links[i].live &&
		          CRYPTO_memcmp(l->links[i].hash, h, sizeof(h)) == 0;
		if (eq && !hit)
			hit = &l->links[i];
	}
	if (hit) {
		if (meeting)
			snprintf(meeting, MCU_WEBRTC_ID_MAX + 1, "%s",
			         hit->meeting);
		if (endpoint)
			snprintf(endpoint, MCU_WEBRTC_ID_MAX + 1, "%s",
			         hit->endpoint);
		if (expires_us)
			*expires_us = hit->expires_us;
		if (take)
			memset(hit, 0, sizeof(*hit));
	}
	pthread_mutex_unlock(&l->lock);
	return hit ? 0 : ENOENT;
}

size_t mcu_webrtc_links_count(struct mcu_webrtc_links *l, int64_t now_us)
{
	size_t n = 0;
	pthread_mutex_lock(&l->lock);
	prune(l, now_us);
	for (size_t i = 0; i < MCU_WEBRTC_LINKS_MAX; i++)
		n += l->links[i].live;
	pthread_mutex_unlock(&l->lock);
	return n;
}
