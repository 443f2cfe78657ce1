/*
 * mcuctl's operator-facing text: Vietnamese by default, English with
 * --lang en. Kept here (not in mcu/i18n.c) so the CLI does not link the
 * daemon's libraries.
 */
#include "tools/mcuctl/text.h"

#include <string.h>

struct entry {
	const char *key, *vi, *en;
};

static const struct entry table[] = {
	/* table headings */
	{"h.id", "Mã", "ID"},
	{"h.meeting", "Cuộc họp", "Meeting"},
	{"h.title", "Tiêu đề", "Title"},
	{"h.state", "Trạng thái", "State"},
	{"h.host", "Chủ trì", "Host"},
	{"h.start", "Bắt đầu", "Start"},
	{"h.end", "Kết thúc", "End"},
	{"h.endpoints", "Điểm cầu", "Endpoints"},
	{"h.endpoint", "Điểm cầu", "Endpoint"},
	{"h.name", "Tên", "Name"},
	{"h.tier", "Cấp", "Tier"},
	{"h.parent", "Trực thuộc", "Parent"},
	{"h.signalling", "Báo hiệu", "Signalling"},
	{"h.role", "Vai trò", "Role"},
	{"h.floor", "Phát biểu", "Floor"},
	{"h.rtt", "RTT ms", "RTT ms"},
	{"h.loss", "Mất gói", "Lost"},
	{"h.jitter", "Jitter ms", "Jitter ms"},
	{"h.fps", "Khung/s", "FPS"},
	{"h.kbps", "kbit/s vào", "kbit/s in"},
	{"h.level", "Mức âm dBov", "Level dBov"},
	{"h.muted", "Tắt tiếng", "Muted"},
	{"h.incident", "Sự cố", "Incident"},
	{"h.since", "Từ lúc", "Since"},
	{"h.detail", "Chi tiết", "Detail"},
	{"h.technician", "Kỹ thuật viên", "Technician"},
	{"h.phone", "Điện thoại", "Phone"},
	/* key-value labels */
	{"k.status", "Trạng thái", "Status"},
	{"k.version", "Phiên bản", "Version"},
	{"k.uptime", "Thời gian chạy", "Uptime"},
	{"k.floor_mode", "Chế độ phát biểu", "Floor mode"},
	{"k.floor_holder", "Đang phát biểu", "Floor holder"},
	{"k.floor_queue", "Hàng chờ phát biểu", "Floor queue"},
	{"k.layout_host", "Bố cục điểm cầu trung tâm", "Host layout"},
	{"k.layout_branches", "Bố cục điểm cầu nhánh", "Branch layout"},
	{"k.pins", "Ghim", "Pins"},
	{"k.encoders", "Bộ mã hoá", "Encoders"},
	{"k.decoders", "Bộ giải mã", "Decoders"},
	{"k.test_run", "Chạy thử", "Test run"},
	{"k.participants", "Điểm cầu tham gia", "Participants"},
	{"k.recording", "Ghi hình", "Recording"},
	{"k.content", "Trình chiếu", "Content"},
	{"content.ended", "đã hết, giữ hình cuối", "ended, last picture held"},
	/* values */
	{"state.scheduled", "đã lên lịch", "scheduled"},
	{"state.test-run", "đang chạy thử", "test run"},
	{"state.live", "đang họp", "live"},
	{"state.ended", "đã kết thúc", "ended"},
	{"pstate.dialing", "đang gọi", "dialing"},
	{"pstate.connected", "đã kết nối", "connected"},
	{"pstate.on-hold", "tạm giữ", "on hold"},
	{"pstate.disconnected", "chưa kết nối", "disconnected"},
	{"pstate.failed", "lỗi kết nối", "failed"},
	{"role.host", "trung tâm", "host"},
	{"role.branch", "nhánh", "branch"},
	{"floor.none", "-", "-"},
	{"floor.requested", "xin phát biểu", "requested"},
	{"floor.holder", "đang phát biểu", "holder"},
	{"floor.host", "chủ trì", "host"},
	{"floor.open", "tự do (theo giọng nói)", "open (voice)"},
	{"floor.chaired", "điều hành", "chaired"},
	{"floor.lecture", "chỉ chủ trì nói", "lecture"},
	{"tier.city", "thành phố", "city"},
	{"tier.district", "quận/huyện", "district"},
	{"tier.commune", "phường/xã", "commune"},
	{"tier.extended", "mở rộng", "extended"},
	{"yes", "có", "yes"},
	{"no", "không", "no"},
	{"none", "không có", "none"},
	{"kind.connection-lost", "mất kết nối", "connection lost"},
	{"kind.packet-loss", "mất gói", "packet loss"},
	{"kind.no-video", "mất hình", "no video"},
	{"kind.rtt", "trễ cao (RTT)", "high RTT"},
	{"kind.reported", "kỹ thuật viên báo (*9)", "reported (*9)"},
	/* events */
	{"event.join", "vào họp", "joined"},
	{"event.leave", "rời họp", "left"},
	{"event.floor", "phát biểu", "floor"},
	{"event.incident", "sự cố", "incident"},
	{"event.state", "trạng thái", "state"},
	/* messages */
	{"msg.done", "Đã thực hiện", "Done"},
	{"msg.queued", "Đã tiếp nhận, đang thực hiện", "Accepted, in progress"},
	{"msg.error", "Lỗi", "Error"},
	{"msg.no_live", "Không có cuộc họp nào đang diễn ra.",
	 "No meeting is under way."},
	{"msg.connect", "Không kết nối được tới API tại", "Cannot reach the API at"},
	{"msg.need_token",
	 "Cần mã truy cập: dùng --token-file FILE hoặc -c cấu hình có "
	 "mcu.api.token_file",
	 "A token is needed: use --token-file FILE or -c with a config that "
	 "has mcu.api.token_file"},
	{"msg.following", "Đang theo dõi sự kiện (Ctrl+C để dừng)...",
	 "Following events (Ctrl+C to stop)..."},
	{"msg.saved", "Đã lưu", "Saved"},
	{"msg.no_incidents", "Không có sự cố nào đang mở.",
	 "No incident is open."},
	{"msg.stream_end", "Luồng sự kiện đã đóng.", "The event stream ended."},
};

const char *mcuctl_text(enum mcuctl_lang lang, const char *key)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!strcmp(table[i].key, key))
			return lang == MCUCTL_EN ? table[i].en : table[i].vi;
	}
	return NULL;
}
