/*
 * bench_pure_codec: the codec floor of the compose16 benchmark (issue 3).
 *
 * The MCU's work for a 4x4 view of 16 sources is, per output frame: 16
 * decodes (one new picture per source), one compose and one 1280x720
 * encode. This program does only the decodes and the encode, through the
 * same wrappers the daemon uses (codec/vdec, codec/venc: slice threads 1,
 * x264 constrained baseline, zerolatency, same preset and bitrate), so
 * "mcud CPU per frame / this" says how much the daemon adds around the
 * codecs (RTP, jitter buffers, compose, packetize, threads).
 *
 * The encoded picture must cost what a real composite costs, so each
 * decoded picture is dropped into its tile by a 2:1 point sample (no
 * filtering); that placement is timed apart and left out of the codec
 * figure. CPU time is CLOCK_PROCESS_CPUTIME_ID (one thread does all).
 *
 * Inputs: H.264 clips (MP4 or raw Annex-B; packets are read with
 * libavformat and turned into Annex-B access units with the
 * h264_mp4toannexb filter), cycled when they end. Without clips it makes
 * 16 synthetic 640x360 sources itself (moving pattern, encoded once with
 * codec/venc at ultrafast, not timed), so `make bench` runs it bare.
 *
 * Usage: bench_pure_codec [-n frames] [-p preset] [-b bitrate] [-r fps]
 *                         [-g keyint] [-L] [clip.mp4 ...]  (up to 16 clips)
 * -L: the decoders skip the loop filter on non-key pictures, as mcud's do
 * for a source it shows at half size or less (a 640x360 source in a 4x4
 * tile of 1280x720): the codec floor of that configuration.
 * Defaults: 600 frames, veryfast, 1800000 bit/s, 30 fps, keyint 90 (what
 * mcud uses for a >= 2000 kbit/s endpoint with the default key frame
 * interval of 3 s). Prints one line of figures.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

#include "codec/avlog.h"
#include "codec/vdec.h"
#include "codec/venc.h"
#include "conf/log.h"

#define NSRC     16
#define OUT_W    1280
#define OUT_H    720
#define TILE_W   (OUT_W / 4)
#define TILE_H   (OUT_H / 4)
#define SYN_W    640
#define SYN_H    360
#define SYN_N    120 /* synthetic frames per source, then it loops */
#define MAX_PKTS 100000

struct source {
	AVPacket **pkts; /* Annex-B access units, in order */
	size_t npkts, next;
	struct mcu_vdec *dec;
	AVFrame *last; /* latest decoded picture (reference) */
	size_t decoded;
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int push_pkt(struct source *s, const AVPacket *pkt)
{
	AVPacket **np;
	if (s->npkts == MAX_PKTS)
		return 0; /* enough to cycle through */
	np = realloc(s->pkts, (s->npkts + 1) * sizeof(*np));
	if (!np)
		return ENOMEM;
	s->pkts = np;
	s->pkts[s->npkts] = av_packet_clone(pkt);
	if (!s->pkts[s->npkts])
		return ENOMEM;
	s->npkts++;
	return 0;
}

/* All video packets of one clip, as Annex-B access units. */
static int load_clip(struct source *s, const char *path)
{
	AVFormatContext *fmt = NULL;
	AVBSFContext *bsf = NULL;
	AVPacket *pkt = av_packet_alloc();
	int vi, ret, err = EIO;

	if (!pkt)
		return ENOMEM;
	if ((ret = avformat_open_input(&fmt, path, NULL, NULL)) < 0 ||
	    (ret = avformat_find_stream_info(fmt, NULL)) < 0) {
		fprintf(stderr, "%s: %s\n", path, av_err2str(ret));
		goto out;
	}
	vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (vi < 0 || fmt->streams[vi]->codecpar->codec_id != AV_CODEC_ID_H264) {
		fprintf(stderr, "%s: no H.264 video stream\n", path);
		goto out;
	}
	const AVBitStreamFilter *f = av_bsf_get_by_name("h264_mp4toannexb");
	if (!f || av_bsf_alloc(f, &bsf) < 0 ||
	    avcodec_parameters_copy(bsf->par_in, fmt->streams[vi]->codecpar) <
	        0 ||
	    av_bsf_init(bsf) < 0) {
		fprintf(stderr, "%s: h264_mp4toannexb unavailable\n", path);
		goto out;
	}
	while ((ret = av_read_frame(fmt, pkt)) >= 0) {
		if (pkt->stream_index != vi) {
			av_packet_unref(pkt);
			continue;
		}
		if (av_bsf_send_packet(bsf, pkt) < 0)
			goto out;
		while (av_bsf_receive_packet(bsf, pkt) == 0) {
			int e = push_pkt(s, pkt);
			av_packet_unref(pkt);
			if (e) {
				err = e;
				goto out;
			}
		}
	}
	err = s->npkts ? 0 : EIO;
	if (err)
		fprintf(stderr, "%s: no packets\n", path);
out:
	av_bsf_free(&bsf);
	av_packet_free(&pkt);
	avformat_close_input(&fmt);
	return err;
}

static void on_syn_packet(const AVPacket *pkt, bool key, void *arg)
{
	(void)key;
	if (push_pkt(arg, pkt))
		fprintf(stderr, "out of memory\n");
}

/* A moving pattern of its own colour per source, encoded at ultrafast. */
static int make_synthetic(struct source *s, int idx, int fps, int keyint)
{
	struct mcu_venc_config cfg = {
		.codec = MCU_VCODEC_H264, .width = SYN_W, .height = SYN_H,
		.fps = fps, .bitrate = 600000, .keyint = keyint,
		.preset = "ultrafast", .threads = 1,
	};
	struct mcu_venc *enc = NULL;
	AVFrame *f = av_frame_alloc();
	int err = ENOMEM;

	if (!f)
		return ENOMEM;
	f->format = AV_PIX_FMT_YUV420P;
	f->width = SYN_W;
	f->height = SYN_H;
	if (av_frame_get_buffer(f, 0) < 0)
		goto out;
	if ((err = mcu_venc_alloc(&enc, &cfg)))
		goto out;
	for (int n = 0; n < SYN_N && !err; n++) {
		int bx = (n * 7 + idx * 40) % (SYN_W - 96);
		int by = (n * 3 + idx * 20) % (SYN_H - 96);
		for (int y = 0; y < SYN_H; y++) {
			uint8_t *row = f->data[0] + y * f->linesize[0];
			for (int x = 0; x < SYN_W; x++) {
				bool box = x >= bx && x < bx + 96 && y >= by &&
				           y < by + 96;
				row[x] = box ? 235
				             : (uint8_t)(40 + ((x + y + n * 2 +
				                                idx * 11) & 127));
			}
		}
		for (int p = 1; p < 3; p++)
			for (int y = 0; y < SYN_H / 2; y++)
				memset(f->data[p] + y * f->linesize[p],
				       (idx * 37 + p * 61 + y / 8) & 255,
				       SYN_W / 2);
		f->pts = n;
		err = mcu_venc_encode(enc, f, on_syn_packet, s);
	}
	if (!err && s->npkts == 0)
		err = EIO;
out:
	mcu_venc_free(enc);
	av_frame_free(&f);
	return err;
}

static void on_decoded(const AVFrame *frame, void *arg)
{
	struct source *s = arg;
	av_frame_free(&s->last);
	s->last = av_frame_clone(frame);
	s->decoded++;
}

/* Point-sample a picture into its 320x180 tile (cheap, timed apart). */
static void place(AVFrame *canvas, const AVFrame *pic, int tile)
{
	int tx = (tile % 4) * TILE_W, ty = (tile / 4) * TILE_H;
	for (int p = 0; p < 3; p++) {
		int sh = p ? 1 : 0;
		int tw = TILE_W >> sh, th = TILE_H >> sh;
		int pw = pic->width >> sh, ph = pic->height >> sh;
		for (int y = 0; y < th; y++) {
			const uint8_t *src =
			    pic->data[p] + (y * ph / th) * pic->linesize[p];
			uint8_t *dst = canvas->data[p] +
			               ((ty >> sh) + y) * canvas->linesize[p] +
			               (tx >> sh);
			for (int x = 0; x < tw; x++)
				dst[x] = src[x * pw / tw];
		}
	}
}

static size_t out_packets;
static uint64_t out_bytes;

static void on_encoded(const AVPacket *pkt, bool key, void *arg)
{
	(void)key;
	(void)arg;
	out_packets++;
	out_bytes += (uint64_t)pkt->size;
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "bad %s: %s (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct source src[NSRC];
	struct mcu_venc *enc = NULL;
	AVFrame *canvas = NULL;
	const char *preset = "veryfast";
	long frames = 600, bitrate = 1800000, fps = 30, keyint = 90;
	double t_dec = 0, t_place = 0, t_enc = 0;
	int opt, nclips, err = 0, rc = 1;
	bool skip_lf = false;

	while ((opt = getopt(argc, argv, "n:p:b:r:g:Lh")) != -1) {
		switch (opt) {
		case 'n': frames = parse_long(optarg, 1, 1000000, "frames"); break;
		case 'p': preset = optarg; break;
		case 'b':
			bitrate = parse_long(optarg, 32000, 20000000, "bitrate");
			break;
		case 'r': fps = parse_long(optarg, 1, 120, "fps"); break;
		case 'g': keyint = parse_long(optarg, 1, 100000, "keyint"); break;
		case 'L': skip_lf = true; break;
		default:
			fprintf(stderr, "usage: %s [-n frames] [-p preset] "
			                "[-b bit/s] [-r fps] [-g keyint] [-L] "
			                "[clip ...]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	nclips = argc - optind;
	if (nclips > NSRC) {
		fprintf(stderr, "at most %d clips\n", NSRC);
		return 2;
	}
	mcu_log_set_level(MCU_LOG_WARN);
	mcu_log_start();
	mcu_avlog_install();
	memset(src, 0, sizeof(src));
	for (int i = 0; i < NSRC && !err; i++) {
		/* Fewer clips than tiles: the clips repeat (each its own
		 * decoder, as 16 legs sending the same file would have). */
		err = nclips ? load_clip(&src[i], argv[optind + i % nclips])
		             : make_synthetic(&src[i], i, (int)fps, 60);
		if (!err)
			err = mcu_vdec_alloc(&src[i].dec, MCU_VCODEC_H264, 1);
		if (!err)
			mcu_vdec_set_skip_loop_filter(src[i].dec, skip_lf);
	}
	if (err) {
		fprintf(stderr, "cannot prepare the sources: %s\n",
		        strerror(err));
		goto out;
	}
	struct mcu_venc_config cfg = {
		.codec = MCU_VCODEC_H264, .width = OUT_W, .height = OUT_H,
		.fps = (int)fps, .bitrate = (int)bitrate, .keyint = (int)keyint,
		.preset = preset, .threads = 1,
	};
	canvas = av_frame_alloc();
	if (!canvas || (err = mcu_venc_alloc(&enc, &cfg)))
		goto out;
	canvas->format = AV_PIX_FMT_YUV420P;
	canvas->width = OUT_W;
	canvas->height = OUT_H;
	if (av_frame_get_buffer(canvas, 0) < 0)
		goto out;
	for (int p = 0; p < 3; p++)
		memset(canvas->data[p], p ? 128 : 16,
		       (size_t)canvas->linesize[p] * (p ? OUT_H / 2 : OUT_H));

	for (long n = 0; n < frames; n++) {
		double t0 = cpu_s(), t1, t2;
		for (int i = 0; i < NSRC; i++) {
			struct source *s = &src[i];
			const AVPacket *pkt = s->pkts[s->next];
			s->next = (s->next + 1) % s->npkts;
			mcu_vdec_decode(s->dec, pkt->data, (size_t)pkt->size, n,
			                on_decoded, s);
		}
		t1 = cpu_s();
		for (int i = 0; i < NSRC; i++)
			if (src[i].last)
				place(canvas, src[i].last, i);
		t2 = cpu_s();
		/* A writable canvas of our own each time: the encoder keeps
		 * a reference to the one it was given. */
		if (av_frame_make_writable(canvas) < 0)
			goto out;
		canvas->pts = n;
		if (mcu_venc_encode(enc, canvas, on_encoded, NULL))
			goto out;
		t_dec += t1 - t0;
		t_place += t2 - t1;
		t_enc += cpu_s() - t2;
	}
	size_t decoded = 0;
	for (int i = 0; i < NSRC; i++)
		decoded += src[i].decoded;
	printf("bench_pure_codec: %ld frames 1280x720 %s %ld bit/s from %d "
	       "%s sources (%zu pictures decoded, %zu packets out, %.0f "
	       "kbit/s): decode %.3f s, encode %.3f s, placement %.3f s CPU; "
	       "codec CPU per output frame %.5f s (decode %.5f + encode "
	       "%.5f)\n",
	       frames, preset, bitrate, NSRC, nclips ? "clip" : "synthetic",
	       decoded, out_packets,
	       out_packets ? (double)out_bytes * 8 * (double)fps /
	                         (double)out_packets / 1000
	                   : 0.0,
	       t_dec, t_enc, t_place, (t_dec + t_enc) / (double)frames,
	       t_dec / (double)frames, t_enc / (double)frames);
	rc = decoded >= (size_t)(NSRC * frames * 9 / 10) &&
	             out_packets >= (size_t)frames - 1
	         ? 0
	         : 1;
	if (rc)
		fprintf(stderr, "too few pictures decoded or encoded\n");
out:
	for (int i = 0; i < NSRC; i++) {
		for (size_t k = 0; k < src[i].npkts; k++)
			av_packet_free(&src[i].pkts[k]);
		free(src[i].pkts);
		mcu_vdec_free(src[i].dec);
		av_frame_free(&src[i].last);
	}
	mcu_venc_free(enc);
	av_frame_free(&canvas);
	mcu_log_stop();
	return rc;
}
