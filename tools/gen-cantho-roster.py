#!/usr/bin/env python3
"""Generate conf/examples/cantho.yaml, the example roster of Can Tho city.

Every person, e-mail address and phone number it writes is FICTIONAL.
Unit names follow the city's administrative map (9 districts, 85 wards,
townships and communes as before the 2025 reorganisation); the addresses are
loopback so that a local demo works (`make run`).

    python3 tools/gen-cantho-roster.py > conf/examples/cantho.yaml
"""
import random
import sys
import unicodedata

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Phan"]
MIDDLE = ["Văn", "Thị", "Hoàng", "Minh", "Thanh", "Ngọc", "Hữu", "Quốc",
          "Thu", "Kim"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu",
         "Hoa", "Hùng", "Khoa", "Lan", "Linh", "Long", "Mai", "Nam", "Nga",
         "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Trí",
         "Tuấn", "Vy", "Yến"]

DEPARTMENTS = [
    ("so-noi-vu", "Sở Nội vụ"),
    ("so-tai-chinh", "Sở Tài chính"),
    ("so-y-te", "Sở Y tế"),
    ("so-gd-dt", "Sở Giáo dục và Đào tạo"),
    ("so-xay-dung", "Sở Xây dựng"),
    ("so-tn-mt", "Sở Tài nguyên và Môi trường"),
    ("so-nn-ptnt", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("so-cong-thuong", "Sở Công Thương"),
    ("so-gtvt", "Sở Giao thông Vận tải"),
    ("so-tu-phap", "Sở Tư pháp"),
    ("so-kh-dt", "Sở Kế hoạch và Đầu tư"),
    ("so-tt-tt", "Sở Thông tin và Truyền thông"),
    ("so-vh-tt-dl", "Sở Văn hóa, Thể thao và Du lịch"),
    ("so-kh-cn", "Sở Khoa học và Công nghệ"),
    ("so-ld-tb-xh", "Sở Lao động - Thương binh và Xã hội"),
    ("so-ngoai-vu", "Sở Ngoại vụ"),
    ("cong-an-tp", "Công an thành phố"),
    ("bchqs-tp", "Bộ Chỉ huy Quân sự thành phố"),
    ("thanh-tra-tp", "Thanh tra thành phố"),
    ("ban-dan-toc", "Ban Dân tộc thành phố"),
    ("bql-kcn", "Ban Quản lý các khu chế xuất và công nghiệp"),
]

# district id suffix, name, kind ("quận"/"huyện"), units: (kind, name)
P, X, TT = "phường", "xã", "thị trấn"
DISTRICTS = [
    ("ninh-kieu", "Ninh Kiều", "quận", [(P, n) for n in [
        "Cái Khế", "An Hòa", "Thới Bình", "An Nghiệp", "An Cư", "An Hội",
        "Tân An", "An Lạc", "An Phú", "Xuân Khánh", "Hưng Lợi", "An Khánh",
        "An Bình"]]),
    ("binh-thuy", "Bình Thủy", "quận", [(P, n) for n in [
        "Bình Thủy", "Trà An", "Trà Nóc", "Thới An Đông", "An Thới",
        "Bùi Hữu Nghĩa", "Long Hòa", "Long Tuyền"]]),
    ("cai-rang", "Cái Răng", "quận", [(P, n) for n in [
        "Lê Bình", "Hưng Phú", "Hưng Thạnh", "Ba Láng", "Thường Thạnh",
        "Phú Thứ", "Tân Phú"]]),
    ("o-mon", "Ô Môn", "quận", [(P, n) for n in [
        "Châu Văn Liêm", "Thới Hòa", "Thới Long", "Long Hưng", "Thới An",
        "Phước Thới", "Trường Lạc"]]),
    ("thot-not", "Thốt Nốt", "quận", [(P, n) for n in [
        "Thốt Nốt", "Thới Thuận", "Thuận An", "Tân Lộc", "Trung Nhứt",
        "Thạnh Hòa", "Trung Kiên", "Tân Hưng", "Thuận Hưng"]]),
    ("phong-dien", "Phong Điền", "huyện", [(TT, "Phong Điền")] + [
        (X, n) for n in ["Nhơn Ái", "Giai Xuân", "Tân Thới", "Trường Long",
                         "Mỹ Khánh", "Nhơn Nghĩa"]]),
    ("co-do", "Cờ Đỏ", "huyện", [(TT, "Cờ Đỏ")] + [
        (X, n) for n in ["Thạnh Phú", "Trung Hưng", "Trung An",
                         "Trung Thạnh", "Thới Hưng", "Đông Hiệp",
                         "Đông Thắng", "Thới Đông", "Thới Xuân"]]),
    ("vinh-thanh", "Vĩnh Thạnh", "huyện", [(TT, "Thạnh An"),
                                            (TT, "Vĩnh Thạnh")] + [
        (X, n) for n in ["Thạnh Mỹ", "Vĩnh Trinh", "Thạnh An", "Thạnh Tiến",
                         "Thạnh Thắng", "Thạnh Lợi", "Thạnh Qưới",
                         "Thạnh Lộc", "Vĩnh Bình"]]),
    ("thoi-lai", "Thới Lai", "huyện", [(TT, "Thới Lai")] + [
        (X, n) for n in ["Thới Thạnh", "Tân Thạnh", "Xuân Thắng",
                         "Đông Bình", "Đông Thuận", "Thới Tân",
                         "Trường Thắng", "Định Môn", "Trường Thành",
                         "Trường Xuân", "Trường Xuân A", "Trường Xuân B"]]),
]
KIND_PREFIX = {P: "p", X: "x", TT: "tt"}


def slug(text):
    text = text.replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


class People:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.phone = 3800000

    def person(self, title):
        rng = self.rng
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        self.phone += rng.randint(7, 97)
        user = slug(name).replace("-", ".")
        return {"name": name, "title": title,
                "email": f"{user}@cantho.gov.vn.example",
                "phone": f"0292 {self.phone // 10000:03d} {self.phone % 10000:04d}"}


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def contact_line(role, c):
    return (f"      {role + ':':<11} {{name: {q(c['name'])}, title: {q(c['title'])}, "
            f"email: {q(c['email'])}, phone: {q(c['phone'])}}}")


def endpoint(out, people, eid, name, tier, parent, bw, leader_title):
    out.append(f"  - id: {eid}")
    out.append(f"    name: {q(name)}")
    out.append(f"    tier: {tier}")
    if parent:
        out.append(f"    parent: {parent}")
    out.append(f'    sip: "sip:{eid}@127.0.0.1"')
    out.append("    codecs: [h264, vp8, opus, g722, pcma, pcmu]")
    out.append(f"    bandwidth_kbps: {bw}")
    out.append("    contacts:")
    out.append(contact_line("leader", people.person(leader_title)))
    out.append(contact_line("technician", people.person("Chuyên viên CNTT")))
    out.append(contact_line("support", people.person("Nhân viên kỹ thuật")))


HEADER = """\
# EXAMPLE roster of mcud for Cần Thơ city (Thành phố Cần Thơ).
#
# This file is an example, generated by tools/gen-cantho-roster.py: edit
# the script, not this file. Every person, e-mail address and phone number
# below is FICTIONAL. Unit names follow the city's administrative map (9
# districts and 85 wards, townships and communes as before the 2025
# reorganisation).
#
# Every address is on loopback (sip:<id>@127.0.0.1) so that a demo runs on
# one machine (`make run`); a real deployment uses the terminals' addresses,
# e.g. sip:ubnd-tp@10.10.0.10. The format: docs/configuration.md.
"""

MCU = """\
mcu:
  name: "MCU Thành phố Cần Thơ (demo)"
  timezone: Asia/Ho_Chi_Minh
  # Public holidays 2026 (illustrative): not working days for the notice rules.
  holidays: [2026-01-01, 2026-02-16, 2026-02-17, 2026-02-18, 2026-02-19,
             2026-02-20, 2026-04-27, 2026-04-30, 2026-05-01, 2026-09-01,
             2026-09-02]
  sip:
    listen: ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]
    domain: mcu.cantho.gov.vn.example
  rtp:
    ports: 20000-29999
    srtp: optional
  api:
    listen: 127.0.0.1:8080
    # token_file absent: the API is read-only and on loopback only
  media:
    fps: 30
    x264_preset: veryfast
    keyframe_interval_s: 3
  logbook: ./run/logbook.db
  recordings: ./run/recordings
"""

MEETINGS = """\
meetings:
  # Weekly briefing: Monday 2026-12-07 (announced Tuesday the 1st: 4
  # working days' notice; test run Friday the 4th: 1 working day before).
  - id: giao-ban-2026-12-07
    title: "Giao ban trực tuyến tuần 49"
    number: 1001
    host: ubnd-tp
    branches: [districts]
    start: 2026-12-07T08:00
    end: 2026-12-07T11:00
    announced: 2026-12-01
    test_run: {start: 2026-12-04T14:00, end: 2026-12-04T15:00}
    requested: 2026-12-01
    record: true
    floor: chaired
    layout:
      host: tour-3x3
      branches: host+floor
      tour_seconds: 10
    dial: out

  # Emergency: flood warning to every commune, announced 90 minutes ahead.
  - id: phong-chong-lu-2026-12-09
    title: "Họp khẩn ứng phó triều cường và ngập lụt"
    number: 1002
    host: ubnd-tp
    branches: ["tier:commune"]
    start: 2026-12-09T14:30
    end: 2026-12-09T16:00
    announced: 2026-12-09T13:00
    emergency: true
    floor: lecture
    layout:
      host: tour-5x5
      branches: host
      tour_seconds: 8
    dial: out

  # District meeting of Ninh Kiều with its wards; the wards call in.
  - id: hop-ninh-kieu-2026-12-10
    title: "Họp trực tuyến UBND quận Ninh Kiều với các phường"
    number: 2001
    host: ubnd-ninh-kieu
    branches: [communes-ninh-kieu]
    start: 2026-12-10T14:00
    end: 2026-12-10T16:30
    announced: 2026-12-03
    test_run: {start: 2026-12-09T09:00, end: 2026-12-09T09:30}
    floor: open
    layout:
      host: grid-4x4
      branches: host+floor
      self_view: false
    dial: in
"""


def main():
    people = People(2026)
    out = [HEADER, MCU, "endpoints:"]
    out.append("  # City level")
    endpoint(out, people, "hdnd-tp", "Văn phòng HĐND thành phố", "city",
             None, 4096, "Chánh Văn phòng")
    endpoint(out, people, "ubnd-tp", "Văn phòng UBND thành phố", "city",
             None, 4096, "Chánh Văn phòng")
    out.append("  # City departments")
    for eid, name in DEPARTMENTS:
        endpoint(out, people, eid, name, "city", None, 2048, "Chánh Văn phòng")
    ids = {"hdnd-tp", "ubnd-tp"} | {d[0] for d in DEPARTMENTS}
    n_units = 0
    for dsuffix, dname, dkind, units in DISTRICTS:
        did = f"ubnd-{dsuffix}"
        out.append(f"  # {dkind.capitalize()} {dname}")
        endpoint(out, people, did, f"UBND {dkind} {dname}", "district",
                 None, 2048, "Chánh Văn phòng HĐND và UBND")
        ids.add(did)
        for kind, uname in units:
            uid = f"ubnd-{KIND_PREFIX[kind]}-{slug(uname)}"
            assert uid not in ids, uid
            ids.add(uid)
            endpoint(out, people, uid, f"UBND {kind} {uname}", "commune",
                     did, 1024, "Chủ tịch UBND")
            n_units += 1
    assert n_units == 85, n_units
    out.append("  # A static RTP source for demos (e.g. ffmpeg sending a test")
    out.append("  # pattern); no SIP, so no contacts are needed.")
    out.append("""\
  - id: test-rtp-1
    name: "Nguồn RTP thử nghiệm"
    tier: extended
    rtp:
      remote: 127.0.0.1:40000
      local: 127.0.0.1:30000
      video: {codec: h264, payload_type: 96}
      audio: {codec: opus, payload_type: 111}
""")
    out.append("groups:")
    out.append("  districts: {tier: district}")
    out.append("  communes: {tier: commune}")
    out.append("  departments: [" + ", ".join(d[0] for d in DEPARTMENTS[:8]) + ",")
    out.append("                " + ", ".join(d[0] for d in DEPARTMENTS[8:15]) + ",")
    out.append("                " + ", ".join(d[0] for d in DEPARTMENTS[15:]) + "]")
    for dsuffix, _, _, _ in DISTRICTS:
        out.append(f"  communes-{dsuffix}: {{parent: ubnd-{dsuffix}}}")
    out.append("")
    out.append(MEETINGS)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
