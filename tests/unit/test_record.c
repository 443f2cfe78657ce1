/* test-libs: mcu_core mcu_codec mcu_conf */
/*
 * record family: file names, the packet queue, the H.264 parameter sets,
 * and the recorder end to end: real H.264 and Opus packets from
 * codec/venc and codec/aenc in, a Matroska file out that libavformat reads
 * back with both tracks and the right length; a write error (/dev/full)
 * is reported, not fatal.
 */
#include "tests/unit/testutil.h"
#include "codec/aenc.h"
#include "codec/venc.h"
#include "mcu/record.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* 2026-12-10T08:00:30Z */
static const time_t T0 = 1796889630;

static void file_name(void **state)
{
	char b[256];
	(void)state;
	utc();
	assert_int_equal(
	    mcu_record_file_name(b, sizeof(b), "/r", "giao-ban", T0, 1), 0);
	assert_string_equal(b, "/r/giao-ban-20261210T0800.mkv");
	assert_int_equal(
	    mcu_record_file_name(b, sizeof(b), "/r/", "m_1.x", T0, 3), 0);
	assert_string_equal(b, "/r/m_1.x-20261210T0800-3.mkv");
	/* ids that would leave the folder or are not names */
	assert_int_equal(
	    mcu_record_file_name(b, sizeof(b), "/r", "../x", T0, 1), EINVAL);
	assert_int_equal(mcu_record_file_name(b, sizeof(b), "/r", "a/b", T0, 1),
	                 EINVAL);
	assert_int_equal(mcu_record_file_name(b, sizeof(b), "/r", "", T0, 1),
	                 EINVAL);
	assert_int_equal(mcu_record_file_name(b, sizeof(b), "/r", "..", T0, 1),
	                 EINVAL);
	assert_int_equal(mcu_record_file_name(b, sizeof(b), "", "m", T0, 1),
	                 EINVAL);
	assert_int_equal(mcu_record_file_name(b, 20, "/r", "giao-ban", T0, 1),
	                 ENAMETOOLONG);
}

static void new_file_unique(void **state)
{
	char tmpl[] = "/tmp/mcu-rec-XXXXXX", dir[128];
	char *a = NULL, *b = NULL;
	struct stat st;
	(void)state;
	utc();
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/x/y", tmpl); /* parents made */
	assert_int_equal(mcu_record_new_file(&a, dir, "m", T0), 0);
	assert_int_equal(mcu_record_new_file(&b, dir, "m", T0), 0);
	assert_true(strstr(a, "/x/y/m-20261210T0800.mkv") != NULL);
	assert_true(strstr(b, "/x/y/m-20261210T0800-2.mkv") != NULL);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(mcu_record_new_file(&a, dir, "../m", T0), EINVAL);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
	snprintf(dir, sizeof(dir), "%s/x/y", tmpl);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/x", tmpl);
	rmdir(dir);
	rmdir(tmpl);
}

static AVPacket *packet(uint8_t fill, int size)
{
	AVPacket *p = av_packet_alloc();
	assert_non_null(p);
	assert_int_equal(av_new_packet(p, size), 0);
	memset(p->data, fill, (size_t)size);
	return p;
}

static void queue_fifo_bounded(void **state)
{
	struct mcu_record_queue *q = NULL;
	struct mcu_record_item it = {.pkt = av_packet_alloc()};
	AVPacket *p[5];
	(void)state;
	assert_int_equal(mcu_record_queue_alloc(&q, 0), EINVAL);
	assert_int_equal(mcu_record_queue_alloc(&q, 3), 0);
	for (int i = 0; i < 5; i++)
		p[i] = packet((uint8_t)i, 10 + i);
	assert_false(mcu_record_queue_pop(q, &it));
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    mcu_record_queue_push(q, p[i], i & 1, i == 0, 1000 * i), 0);
	assert_int_equal(mcu_record_queue_push(q, p[3], 0, false, 3000),
	                 ENOSPC);
	assert_int_equal(mcu_record_queue_len(q), 3);
	/* oldest first, a reference to the same bytes (no copy) */
	assert_true(mcu_record_queue_pop(q, &it));
	assert_ptr_equal(it.pkt->data, p[0]->data);
	assert_int_equal(it.stream, 0);
	assert_true(it.key);
	assert_int_equal(it.ts_ns, 0);
	/* room again: wraps around the ring */
	assert_int_equal(mcu_record_queue_push(q, p[3], 1, false, 3000), 0);
	assert_int_equal(mcu_record_queue_push(q, p[4], 0, false, 4000),
	                 ENOSPC);
	for (int i = 1; i <= 3; i++) {
		assert_true(mcu_record_queue_pop(q, &it));
		assert_int_equal(it.pkt->size, 10 + i);
		assert_int_equal(it.pkt->data[0], i);
		assert_int_equal(it.ts_ns, 1000 * i);
		assert_int_equal(it.stream, i & 1);
		assert_false(it.key);
	}
	assert_false(mcu_record_queue_pop(q, &it));
	assert_int_equal(mcu_record_queue_len(q), 0);
	/* packets left in the queue are freed with it */
	assert_int_equal(mcu_record_queue_push(q, p[4], 0, false, 5000), 0);
	q = mcu_record_queue_free(q);
	assert_null(q);
	for (int i = 0; i < 5; i++)
		av_packet_free(&p[i]);
	av_packet_free(&it.pkt);
}

static void h264_params(void **state)
{
	static const uint8_t au[] = {
	    0, 0, 0, 1,    0x09, 0xf0,             /* AUD */
	    0, 0, 0, 1,    0x67, 0x42, 0xc0, 0x1e, /* SPS */
	    0, 0, 1, 0x68, 0xce, 0x3c, 0x80,       /* PPS, 3-byte start */
	    0, 0, 0, 1,    0x65, 0x88, 0x84, 0x00, /* IDR slice */
	};
	static const uint8_t want[] = {
	    0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e,
	    0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
	};
	static const uint8_t pslice[] = {0, 0, 0, 1, 0x41, 0x9a, 0x00};
	static const uint8_t junk[] = {0, 0, 1, 0, 0, 0, 1, 0, 0};
	uint8_t out[64];
	size_t n = 99;
	(void)state;
	assert_int_equal(
	    mcu_record_h264_params(au, sizeof(au), out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(mcu_record_h264_params(au, sizeof(au), out, 10, &n),
	                 ENOSPC);
	assert_int_equal(mcu_record_h264_params(pslice, sizeof(pslice), out,
	                                        sizeof(out), &n),
	                 0);
	assert_int_equal(n, 0);
	/* empty NAL units and a start code at the very end */
	assert_int_equal(
	    mcu_record_h264_params(junk, sizeof(junk), out, sizeof(out), &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(mcu_record_h264_params(au, 0, out, sizeof(out), &n),
	                 0);
	assert_int_equal(n, 0);
}

struct feed {
	struct mcu_record *rec;
	int64_t ts_ns;
	unsigned n;
};

static void on_video(const AVPacket *pkt, bool key, void *arg)
{
	struct feed *f = arg;
	if (mcu_record_video(f->rec, pkt, key, f->ts_ns))
		f->n++;
}

static void on_audio(const AVPacket *pkt, uint32_t inc, void *arg)
{
	struct feed *f = arg;
	(void)inc;
	if (mcu_record_audio(f->rec, pkt, f->ts_ns))
		f->n++;
}

/* 2 s of a red 160x120 picture at 25 fps and a 440 Hz tone, on one
   clock starting at `base` ns; sound starts 200 ms before the picture
   (skipped: the file starts at the first key frame). */
static void feed(struct mcu_record *rec, int64_t base, unsigned *nv,
                 unsigned *na)
{
	struct mcu_venc *venc = NULL;
	struct mcu_aenc *aenc = NULL;
	struct mcu_venc_config vc = {.codec = MCU_VCODEC_H264,
	                             .width = 160,
	                             .height = 120,
	                             .fps = 25,
	                             .bitrate = 200000,
	                             .preset = "ultrafast"};
	struct mcu_aenc_config ac = {.codec = MCU_ACODEC_OPUS};
	AVFrame *pic = av_frame_alloc(), *pcm = av_frame_alloc();
	struct feed fv = {rec, 0, 0}, fa = {rec, 0, 0};
	assert_int_equal(mcu_venc_alloc(&venc, &vc), 0);
	assert_int_equal(mcu_aenc_alloc(&aenc, &ac), 0);
	pic->format = AV_PIX_FMT_YUV420P;
	pic->width = 160;
	pic->height = 120;
	assert_int_equal(av_frame_get_buffer(pic, 0), 0);
	memset(pic->data[0], 81, (size_t)pic->linesize[0] * 120);
	memset(pic->data[1], 90, (size_t)pic->linesize[1] * 60);
	memset(pic->data[2], 240, (size_t)pic->linesize[2] * 60);
	pcm->format = AV_SAMPLE_FMT_S16;
	pcm->sample_rate = MCU_AUDIO_RATE;
	pcm->nb_samples = MCU_AUDIO_FRAME;
	av_channel_layout_default(&pcm->ch_layout, 1);
	assert_int_equal(av_frame_get_buffer(pcm, 0), 0);
	/* audio every 20 ms from -200 ms, video every 40 ms from 0 */
	for (int64_t t = -200; t < 2000; t += 20) {
		int16_t *s = (int16_t *)pcm->data[0];
		for (int i = 0; i < MCU_AUDIO_FRAME; i++)
			s[i] =
			    (int16_t)(8000 * sin(2 * M_PI * 440 *
			                         (double)(t * 48 + i) / 48000));
		fa.ts_ns = base + t * 1000000;
		assert_int_equal(mcu_aenc_encode(aenc, pcm, on_audio, &fa), 0);
		if (t >= 0 && t % 40 == 0) {
			fv.ts_ns = base + t * 1000000;
			pic->pts = t / 40;
			assert_int_equal(
			    mcu_venc_encode(venc, pic, on_video, &fv), 0);
		}
	}
	*nv = fv.n;
	*na = fa.n;
	av_frame_free(&pic);
	av_frame_free(&pcm);
	mcu_venc_free(venc);
	mcu_aenc_free(aenc);
}

static void writes_matroska(void **state)
{
	char path[] = "/tmp/mcu-rec-XXXXXX";
	struct mcu_record *rec = NULL;
	struct mcu_record_params p = {.path = path,
	                              .meeting = "unit",
	                              .vcodec = MCU_VCODEC_H264,
	                              .width = 160,
	                              .height = 120,
	                              .channels = 1};
	struct mcu_record_stats st;
	AVFormatContext *ic = NULL;
	AVPacket *pkt = av_packet_alloc();
	unsigned nv = 0, na = 0, rv = 0, ra = 0;
	int64_t first_a = INT64_MAX, last_v = 0, last_a = 0;
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mcu_record_alloc(&rec, &p), 0);
	feed(rec, 5000000000LL, &nv, &na);
	assert_int_equal(nv, 50);
	assert_true(na >= 105);
	mcu_record_stop(rec);
	mcu_record_stats(rec, &st);
	assert_int_equal(st.error, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.packets, nv + 100); /* sound before 0 skipped */
	assert_in_range(st.ms, 1950, 2000);
	rec = mcu_record_free(rec);

	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	assert_int_equal(ic->nb_streams, 2);
	assert_int_equal(ic->streams[0]->codecpar->codec_id, AV_CODEC_ID_H264);
	assert_int_equal(ic->streams[0]->codecpar->width, 160);
	assert_int_equal(ic->streams[1]->codecpar->codec_id, AV_CODEC_ID_OPUS);
	assert_in_range(ic->duration, 1900000, 2100000);
	assert_true(st.bytes > 1000);
	while (av_read_frame(ic, pkt) >= 0) {
		int64_t ms = av_rescale_q(
		    pkt->pts, ic->streams[pkt->stream_index]->time_base,
		    (AVRational){1, 1000});
		if (pkt->stream_index == 0) {
			rv++;
			last_v = ms;
		} else {
			ra++;
			last_a = ms;
			if (ms < first_a)
				first_a = ms;
		}
		av_packet_unref(pkt);
	}
	assert_int_equal(rv, nv);
	assert_int_equal(ra, 100);
	assert_int_equal(first_a, 0); /* both tracks start together */
	assert_int_equal(last_v, 1960);
	assert_int_equal(last_a, 1980);
	avformat_close_input(&ic);
	av_packet_free(&pkt);
	unlink(path);
}

/* A full disk: the error is reported and later packets are dropped. */
static void write_error_reported(void **state)
{
	struct mcu_record *rec = NULL;
	struct mcu_record_params p = {.path = "/dev/full",
	                              .meeting = "unit",
	                              .vcodec = MCU_VCODEC_H264,
	                              .width = 160,
	                              .height = 120,
	                              .channels = 1};
	struct mcu_record_stats st;
	unsigned nv, na;
	(void)state;
	assert_int_equal(mcu_record_alloc(&rec, &p), 0);
	feed(rec, 0, &nv, &na);
	mcu_record_stop(rec);
	mcu_record_stats(rec, &st);
	assert_int_equal(st.error, ENOSPC);
	assert_false(st.writing);
	assert_true(st.dropped > 0);
	/* after the stop nothing is taken */
	AVPacket *pk = packet(1, 10);
	assert_false(mcu_record_audio(rec, pk, 0));
	av_packet_free(&pk);
	rec = mcu_record_free(rec);
}

static void params_checked(void **state)
{
	struct mcu_record *rec = NULL;
	struct mcu_record_params p = {.path = "/tmp/x.mkv",
	                              .vcodec = MCU_VCODEC_H264,
	                              .width = 8,
	                              .height = 120,
	                              .channels = 1};
	(void)state;
	assert_int_equal(mcu_record_alloc(&rec, &p), EINVAL);
	p.width = 160;
	p.channels = 3;
	assert_int_equal(mcu_record_alloc(&rec, &p), EINVAL);
	p.channels = 1;
	p.path = NULL;
	assert_int_equal(mcu_record_alloc(&rec, &p), EINVAL);
	assert_null(rec);
	assert_false(mcu_record_video(NULL, NULL, true, 0));
	assert_null(mcu_record_free(NULL));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(file_name),
    cmocka_unit_test(new_file_unique),
    cmocka_unit_test(queue_fifo_bounded),
    cmocka_unit_test(h264_params),
    cmocka_unit_test(writes_matroska),
    cmocka_unit_test(write_error_reported),
    cmocka_unit_test(params_checked),
};

MCU_TEST_MAIN(tests, NULL, NULL)
