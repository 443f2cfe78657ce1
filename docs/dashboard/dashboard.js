/*
 * mcud dashboard: the operator API (docs/api.md) in a page. Reads need no
 * token on loopback; writes send the token the operator typed once
 * (sessionStorage, "Authorization: Bearer"). Updates come from the event
 * stream (GET /api/v1/events) and from periodic GETs; live pictures are
 * fetched about once a second. Vietnamese by default, English on request.
 * Every text from the server is put in with textContent, never as HTML.
 */
"use strict";

const I18N = {
  vi: {
    title: "Bảng điều khiển MCU", connecting: "Đang kết nối…",
    online: "Trực tuyến", polling: "Cập nhật định kỳ", offline: "Mất kết nối",
    token: "Mã truy cập (token)", save: "Lưu", forget: "Xoá",
    meetings: "Cuộc họp hôm nay và sắp tới", m_title: "Cuộc họp",
    m_host: "Điểm cầu trung tâm", m_time: "Thời gian", m_state: "Trạng thái",
    m_conn: "Đã kết nối", none: "Không có cuộc họp nào hôm nay hoặc sắp tới.",
    events: "Sự kiện", v_host: "Điểm cầu trung tâm thấy",
    v_branches: "Điểm cầu nhánh thấy", floor: "Quyền phát biểu",
    f_mode: "Chế độ", f_holder: "Đang phát biểu", f_queue: "Hàng chờ",
    revoke: "Thu hồi", grant: "Cho phát biểu", layout: "Bố cục",
    l_host: "Trung tâm thấy", l_branches: "Nhánh thấy", p_name: "Điểm cầu",
    p_state: "Trạng thái", p_floor: "Phát biểu", p_codec: "Codec",
    p_res: "Độ phân giải", p_loss: "Mất gói", p_level: "Âm lượng",
    p_actions: "Thao tác", mute_a: "Tắt tiếng", unmute_a: "Bật tiếng",
    mute_v: "Tắt hình", unmute_v: "Bật hình", nobody: "không có",
    empty: "trống", need_token: "Cần nhập mã truy cập để thao tác.",
    done: "Đã thực hiện", failed: "Không thực hiện được",
    st_scheduled: "đã lên lịch", "st_test-run": "chạy thử", st_live: "đang họp",
    st_ended: "đã kết thúc", st_connected: "đã kết nối", st_dialing: "đang gọi",
    "st_on-hold": "tạm giữ", st_disconnected: "chưa kết nối", st_failed: "lỗi",
    fl_none: "—", fl_requested: "xin phát biểu", fl_holder: "đang phát biểu",
    fl_host: "chủ trì", mode_open: "tự do", mode_chaired: "chủ trì điều khiển",
    mode_lecture: "chỉ chủ trì", ev_join: "vào họp", ev_leave: "rời họp",
    ev_floor: "quyền phát biểu", ev_incident: "sự cố", ev_state: "trạng thái",
    host: "trung tâm", branch: "nhánh", today: "hôm nay",
    tier_city: "thành phố", tier_district: "quận, huyện",
    tier_commune: "xã, phường",
    readiness: "Sẵn sàng (chạy thử)", r_verdict: "Kết quả", r_reasons: "Lý do",
    r_tech: "Kỹ thuật viên", r_phone: "Điện thoại", r_final: "đã kết thúc",
    v_ready: "sẵn sàng", "v_not-ready": "chưa sẵn sàng",
    v_checking: "đang kiểm tra", ev_readiness: "chạy thử",
    m_id: "Mã cuộc họp", incidents: "Sự cố đang mở", i_meeting: "Cuộc họp",
    i_kind: "Sự cố", i_since: "Từ lúc", i_detail: "Chi tiết",
    i_none: "Không có sự cố nào.", i_tell: "báo kỹ thuật viên điểm cầu trung tâm",
    "k_connection-lost": "mất kết nối", "k_packet-loss": "mất gói",
    "k_no-video": "mất hình", k_rtt: "trễ cao (RTT)",
    k_reported: "kỹ thuật viên báo (*9)",
    recording: "Ghi hình", rec_on: "đang ghi", rec_off: "không ghi",
    rec_start: "Bắt đầu ghi", rec_stop: "Dừng ghi", rec_last: "tệp gần nhất",
    content: "Trình chiếu", c_playing: "đang phát", c_ended: "đã hết, giữ hình cuối",
    c_none: "không phát", c_stop: "Dừng trình chiếu", c_start: "Phát",
    c_file: "Tệp", c_nofiles: "(cuộc họp không có tệp trình chiếu)",
  },
  en: {
    title: "MCU dashboard", connecting: "Connecting…", online: "Live",
    polling: "Polling", offline: "Disconnected", token: "API token",
    save: "Save", forget: "Clear", meetings: "Today's and coming meetings",
    m_title: "Meeting", m_host: "Host", m_time: "Time", m_state: "State",
    m_conn: "Connected", none: "No meeting today or coming.",
    events: "Events", v_host: "The host sees", v_branches: "Branches see",
    floor: "Floor", f_mode: "Mode", f_holder: "Holder", f_queue: "Queue",
    revoke: "Revoke", grant: "Grant", layout: "Layout", l_host: "Host sees",
    l_branches: "Branches see", p_name: "Endpoint", p_state: "State",
    p_floor: "Floor", p_codec: "Codec", p_res: "Resolution", p_loss: "Loss",
    p_level: "Level", p_actions: "Actions", mute_a: "Mute", unmute_a: "Unmute",
    mute_v: "Video off", unmute_v: "Video on", nobody: "nobody",
    empty: "empty", need_token: "Enter the API token to make changes.",
    done: "Done", failed: "Failed", st_scheduled: "scheduled",
    "st_test-run": "test run", st_live: "live", st_ended: "ended",
    st_connected: "connected", st_dialing: "dialing", "st_on-hold": "on hold",
    st_disconnected: "disconnected", st_failed: "failed", fl_none: "—",
    fl_requested: "requested", fl_holder: "holder", fl_host: "host",
    mode_open: "open", mode_chaired: "chaired", mode_lecture: "lecture",
    ev_join: "joined", ev_leave: "left", ev_floor: "floor",
    ev_incident: "incident", ev_state: "state", host: "host",
    branch: "branch", today: "today",
    tier_city: "city", tier_district: "district", tier_commune: "commune",
    readiness: "Readiness (test run)", r_verdict: "Verdict",
    r_reasons: "Reasons", r_tech: "Technician", r_phone: "Phone",
    r_final: "final", v_ready: "ready", "v_not-ready": "not ready",
    v_checking: "checking", ev_readiness: "test run",
    m_id: "Meeting ID", incidents: "Open incidents", i_meeting: "Meeting",
    i_kind: "Incident", i_since: "Since", i_detail: "Detail",
    i_none: "No open incident.", i_tell: "tell the host's technician",
    "k_connection-lost": "connection lost", "k_packet-loss": "packet loss",
    "k_no-video": "no video", k_rtt: "high RTT",
    k_reported: "reported by its technician (*9)",
    recording: "Recording", rec_on: "recording", rec_off: "not recording",
    rec_start: "Start recording", rec_stop: "Stop recording", rec_last: "last file",
    content: "Content", c_playing: "playing", c_ended: "ended, last picture held",
    c_none: "nothing playing", c_stop: "Stop content", c_start: "Play",
    c_file: "File", c_nofiles: "(the meeting lists no content files)",
  },
};

const LAYOUTS = ["host", "host+floor", "speaker", "2x1", "1+5", "1+7", "1+12",
  "grid-2x2", "grid-3x3", "grid-4x4", "grid-5x5", "tour-2x2", "tour-3x3",
  "tour-4x4", "tour-5x5"];

/* ?lang=en or ?lang=vi in the address wins over the last choice. */
const urlLang = new URLSearchParams(location.search).get("lang");
let lang = (urlLang || localStorage.getItem("mcud.lang")) === "en" ? "en" : "vi";
const live = new Map(); /* meeting id -> {el, timer, urls} */
let meetings = [];
let endpoints = {}; /* endpoint id -> {name, tier} from the directory */
const readySeen = new Set(); /* meetings with a readiness report */
/* Open incidents, "meeting|endpoint|kind" -> the API's object
 * (GET /api/v1/incidents, then the incident events). */
let incidents = new Map();
let incidentEvents = 0; /* events applied: a list read before one is stale */

function epName(id) {
  return (endpoints[id] && endpoints[id].name) || id;
}

function t(key) {
  return (I18N[lang] && I18N[lang][key]) || I18N.vi[key] || key;
}

function token() {
  return sessionStorage.getItem("mcud.token") || "";
}

function headers(json) {
  const h = {};
  if (token()) h.Authorization = "Bearer " + token();
  if (json) h["Content-Type"] = "application/json";
  return h;
}

async function getJSON(path) {
  const r = await fetch(path, { headers: headers(false), cache: "no-store" });
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

async function post(path, body) {
  if (!token()) {
    note(t("need_token"), true);
    return false;
  }
  try {
    const r = await fetch(path, { method: "POST", headers: headers(true),
      body: JSON.stringify(body || {}) });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) {
      note(t("failed") + ": " + r.status + " " + (j.detail || j.error || ""), true);
      return false;
    }
    note(t("done") + ": " + path.replace("/api/v1/meetings/", ""), false);
    return true;
  } catch (e) {
    note(t("failed") + ": " + e.message, true);
    return false;
  }
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function note(text, bad) {
  const log = document.getElementById("log");
  const li = el("li", bad ? { class: "incident" } : {},
    new Date().toLocaleTimeString() + " " + text);
  log.prepend(li);
  while (log.children.length > 100) log.lastChild.remove();
}

function setStatus(key, cls) {
  const s = document.getElementById("status");
  s.textContent = t(key);
  s.dataset.t = key;
  s.className = "status " + (cls || "");
}

function translate() {
  document.documentElement.lang = lang;
  document.getElementById("lang").textContent = lang === "vi" ? "EN" : "VI";
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  for (const tpl of document.querySelectorAll("template"))
    for (const e of tpl.content.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  renderMeetings();
  renderIncidents();
  for (const id of live.keys()) refreshMeeting(id);
}

function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const loc = lang === "vi" ? "vi-VN" : "en-GB";
  const today = new Date().toDateString() === d.toDateString();
  return (today ? t("today") + " " : d.toLocaleDateString(loc) + " ") +
    d.toLocaleTimeString(loc, { hour: "2-digit", minute: "2-digit" });
}

function badge(state) {
  return el("span", { class: "badge st-" + state }, t("st_" + state));
}

/* Today's meetings (whatever their state) and the ones to come. */
function relevant(m) {
  const startOfDay = new Date();
  startOfDay.setHours(0, 0, 0, 0);
  const end = new Date(m.end);
  return m.state === "live" || m.state === "test-run" || isNaN(end) ||
    end >= startOfDay;
}

function renderMeetings() {
  const tb = document.querySelector("#meetings tbody");
  tb.replaceChildren();
  const shown = meetings.filter(relevant)
    .sort((a, b) => String(a.start).localeCompare(String(b.start)));
  document.getElementById("no-meetings").hidden = shown.length > 0;
  for (const m of shown) {
    const tr = el("tr", { "data-id": m.id });
    tr.append(el("td", {}, m.title || m.id), el("td", {}, epName(m.host)),
      el("td", {}, fmtTime(m.start) + " – " + fmtTime(m.end)));
    const st = el("td");
    st.append(badge(m.state));
    const p = m.participants || {};
    tr.append(st, el("td", {}, (p.connected || 0) + " / " + (p.planned || 0)));
    tr.append(el("td", {}, m.id));
    tb.append(tr);
  }
}

async function loadMeetings() {
  try {
    if (!Object.keys(endpoints).length)
      for (const e of await getJSON("/api/v1/endpoints"))
        endpoints[e.id] = { name: e.name, tier: e.tier, contacts: e.contacts };
    meetings = await getJSON("/api/v1/meetings");
  } catch (e) {
    setStatus("offline", "bad");
    return;
  }
  renderMeetings();
  const want = new Set(meetings.filter(m => m.state === "live" ||
    m.state === "test-run").map(m => m.id));
  for (const id of want) if (!live.has(id)) addLive(id);
  for (const id of [...live.keys()]) if (!want.has(id)) dropLive(id);
  /* Readiness reports: meetings in their test run, or that had one
   * (asking others would only get 404s). */
  for (const m of meetings.filter(relevant))
    if (m.state === "test-run" || readySeen.has(m.id)) refreshReadiness(m.id);
}

function addLive(id) {
  const node = document.getElementById("live-tpl").content
    .firstElementChild.cloneNode(true);
  node.dataset.id = id;
  document.getElementById("live").append(node);
  const entry = { el: node, urls: {}, layouts: {} };
  live.set(id, entry);
  for (const role of ["host", "branches"]) {
    const sel = node.querySelector(".l-" + role);
    for (const l of LAYOUTS) sel.append(el("option", { value: l }, l));
    sel.addEventListener("change", () =>
      post(`/api/v1/meetings/${encodeURIComponent(id)}/layout`,
        { role: role, layout: sel.value }).then(() => refreshMeeting(id)));
  }
  node.querySelector(".f-revoke").addEventListener("click", () =>
    post(`/api/v1/meetings/${encodeURIComponent(id)}/floor`,
      { action: "revoke" }).then(() => refreshMeeting(id)));
  const rec = node.querySelector(".r-toggle");
  rec.addEventListener("click", () =>
    post(`/api/v1/meetings/${encodeURIComponent(id)}/record`,
      { on: rec.dataset.on !== "1" }).then(() => refreshMeeting(id)));
  node.querySelector(".c-start").addEventListener("click", () => {
    const file = node.querySelector(".c-pick").value;
    if (file)
      post(`/api/v1/meetings/${encodeURIComponent(id)}/content`, { file: file })
        .then(() => refreshMeeting(id));
  });
  node.querySelector(".c-stop").addEventListener("click", () =>
    post(`/api/v1/meetings/${encodeURIComponent(id)}/content`, { stop: true })
      .then(() => refreshMeeting(id)));
  entry.timer = setInterval(() => refreshPictures(id), 1000);
  refreshMeeting(id);
  refreshPictures(id);
}

function dropLive(id) {
  const e = live.get(id);
  if (!e) return;
  clearInterval(e.timer);
  for (const u of Object.values(e.urls)) URL.revokeObjectURL(u);
  e.el.remove();
  live.delete(id);
}

/* A picture at a time per role; a failed one keeps the last. */
async function refreshPictures(id) {
  const e = live.get(id);
  if (!e || document.hidden) return;
  for (const role of ["host", "branches"]) {
    if (e["busy_" + role]) continue;
    e["busy_" + role] = true;
    try {
      const r = await fetch(`/api/v1/meetings/${encodeURIComponent(id)}/views/${role}.jpg`,
        { headers: headers(false), cache: "no-store" });
      if (r.ok) {
        const url = URL.createObjectURL(await r.blob());
        e.el.querySelector(".v-" + role).src = url;
        if (e.urls[role]) URL.revokeObjectURL(e.urls[role]);
        e.urls[role] = url;
      }
    } catch (err) { /* keep the last picture */ }
    e["busy_" + role] = false;
  }
}

function num(v, digits) {
  return typeof v === "number" ? v.toFixed(digits) : "–";
}

function lossText(s) {
  if (!s || typeof s.packets !== "number") return "–";
  const total = s.packets + (s.lost || 0);
  return total ? (100 * (s.lost || 0) / total).toFixed(1) + " %" : "0 %";
}

/* One participant's row. A row whose buttons would not change keeps its
 * element and its buttons (only the other cells are renewed), so that a
 * click is never lost to a refresh replacing the button under the pointer. */
function partRow(id, p, names, old) {
  const v = p.video || {}, a = p.audio || {};
  const vin = v.in || {}, ain = a.in || {};
  const tr = el("tr", { "data-ep": p.endpoint });
  const tier = endpoints[p.endpoint] && endpoints[p.endpoint].tier;
  const name = el("td", {}, (p.name || p.endpoint) + (p.role === "host" ? " ★" : ""));
  if (tier) name.append(" ", el("span", { class: "muted tier" }, t("tier_" + tier)));
  tr.append(name);
  const st = el("td");
  st.append(badge(p.state));
  tr.append(st, el("td", {}, t("fl_" + p.floor)));
  tr.append(el("td", {}, [v.codec, a.codec].filter(Boolean).join(" / ") || "–"));
  tr.append(el("td", {}, vin.width ? vin.width + "×" + vin.height : "–"));
  tr.append(el("td", {}, num(vin.fps, 1)));
  const loss = el("td", {}, lossText(vin) + " · " + lossText(ain));
  if ((vin.lost || 0) + (ain.lost || 0) > 0 &&
      ((vin.lost || 0) / Math.max(1, vin.packets || 0) > 0.02 ||
       (ain.lost || 0) / Math.max(1, ain.packets || 0) > 0.02))
    loss.className = "loss-bad";
  tr.append(loss);
  tr.append(el("td", {}, num(vin.jitter_ms, 1) + " / " + num(ain.jitter_ms, 1) + " ms"));
  tr.append(el("td", {}, typeof p.rtt_ms === "number" ? p.rtt_ms.toFixed(1) + " ms" : "–"));
  const lv = el("td");
  const bar = el("span", { class: "level", title: num(a.level_dbov, 1) + " dBov" });
  const pct = typeof a.level_dbov === "number"
    ? Math.max(0, Math.min(100, (a.level_dbov + 60) * 100 / 60)) : 0;
  const fill = el("i");
  fill.style.width = pct + "%";
  bar.append(fill);
  lv.append(bar);
  tr.append(lv);
  names[p.endpoint] = p.name || p.endpoint;
  const key = JSON.stringify([lang, !!p.audio, !!p.video, !!a.muted, !!v.muted,
    p.role, p.floor]);
  const prev = old && old.get(p.endpoint);
  if (prev && prev.dataset.act === key) {
    while (prev.firstElementChild !== prev.lastElementChild) prev.firstElementChild.remove();
    prev.lastElementChild.before(...tr.children);
    return prev;
  }
  tr.dataset.act = key;
  const act = el("td");
  const base = `/api/v1/meetings/${encodeURIComponent(id)}/participants/${encodeURIComponent(p.endpoint)}`;
  if (p.audio) act.append(el("button", { type: "button", class: "mute-a",
    onclick: () => post(base + "/mute", { audio: !a.muted }).then(() => refreshMeeting(id)) },
    a.muted ? t("unmute_a") : t("mute_a")));
  if (p.video) act.append(el("button", { type: "button", class: "mute-v",
    onclick: () => post(base + "/mute", { video: !v.muted }).then(() => refreshMeeting(id)) },
    v.muted ? t("unmute_v") : t("mute_v")));
  if (p.role !== "host" && p.floor !== "holder")
    act.append(el("button", { type: "button", class: "grant",
      onclick: () => post(`/api/v1/meetings/${encodeURIComponent(id)}/floor`,
        { action: "grant", endpoint: p.endpoint }).then(() => refreshMeeting(id)) },
      t("grant")));
  tr.append(act);
  return tr;
}

/* The floor queue, renewed only when it changes (a button kept under the
 * pointer, as for the rows). */
function renderQueue(id, q, queue, names) {
  const key = JSON.stringify([lang, queue]);
  if (q.dataset.key === key) return;
  q.dataset.key = key;
  q.replaceChildren();
  for (const ep of queue) {
    const li = el("li", {}, (names[ep] || ep) + " ");
    li.append(el("button", { type: "button", class: "grant",
      onclick: () => post(`/api/v1/meetings/${encodeURIComponent(id)}/floor`,
        { action: "grant", endpoint: ep }).then(() => refreshMeeting(id)) }, t("grant")));
    q.append(li);
  }
  if (!queue.length) q.append(el("li", { class: "muted" }, t("empty")));
}

async function refreshMeeting(id) {
  const e = live.get(id);
  if (!e) return;
  let m;
  try {
    m = await getJSON(`/api/v1/meetings/${encodeURIComponent(id)}`);
  } catch (err) {
    return;
  }
  const n = e.el;
  n.querySelector(".m-title").textContent = m.title || m.id;
  n.querySelector(".m-state").replaceWith(Object.assign(badge(m.state),
    { className: "badge m-state st-" + m.state }));
  const names = {};
  const tb = n.querySelector(".parts tbody");
  const old = new Map([...tb.children].map(tr => [tr.dataset.ep, tr]));
  const rows = (m.participants || []).map(p => partRow(id, p, names, old));
  if (rows.length !== tb.children.length || rows.some((r, i) => r !== tb.children[i]))
    tb.replaceChildren(...rows);
  const f = m.floor || {};
  n.querySelector(".f-mode").textContent = t("mode_" + f.mode);
  n.querySelector(".f-holder").textContent = f.holder ? (names[f.holder] || f.holder) : t("nobody");
  n.querySelector(".f-revoke").disabled = !f.holder;
  renderQueue(id, n.querySelector(".f-queue"), f.queue || [], names);
  const lay = m.layout || {};
  for (const role of ["host", "branches"]) {
    const sel = n.querySelector(".l-" + role);
    if (lay[role] && ![...sel.options].some(o => o.value === lay[role]))
      sel.append(el("option", { value: lay[role] }, lay[role]));
    if (document.activeElement !== sel && lay[role]) sel.value = lay[role];
  }
  renderMedia(id, n, m);
}

function incidentKey(d) {
  return d.meeting + "|" + d.endpoint + "|" + d.kind;
}

/* The endpoint's technician: the incident's, else the directory's (the
 * support contact when it names no technician). */
function technicianOf(d) {
  if (d.technician && (d.technician.name || d.technician.phone)) return d.technician;
  const c = (endpoints[d.endpoint] && endpoints[d.endpoint].contacts) || {};
  return c.technician || c.support || {};
}

function fmtSince(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return iso || "";
  const loc = lang === "vi" ? "vi-VN" : "en-GB";
  const time = d.toLocaleTimeString(loc, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return new Date().toDateString() === d.toDateString() ? time
    : d.toLocaleDateString(loc) + " " + time;
}

function renderIncidents() {
  const tb = document.querySelector("#incidents tbody");
  const list = [...incidents.values()]
    .sort((a, b) => String(a.since).localeCompare(String(b.since)));
  const rows = list.map(d => {
    const mt = meetings.find(m => m.id === d.meeting);
    const tech = technicianOf(d);
    const tr = el("tr", { "data-key": incidentKey(d), "data-ep": d.endpoint,
      "data-kind": d.kind });
    const detail = el("td", { class: "detail" }, d.detail || "");
    const host = d.host_technician;
    if (d.kind === "reported" && host && (host.name || host.phone))
      detail.append(el("br"), el("span", { class: "muted" },
        t("i_tell") + ": " + [host.name, host.phone].filter(Boolean).join(", ")));
    tr.append(el("td", {}, (mt && mt.title) || d.meeting),
      el("td", {}, d.name || epName(d.endpoint)),
      el("td", {}, t("k_" + d.kind)), el("td", {}, fmtSince(d.since)), detail,
      el("td", {}, tech.name || "—"), el("td", {}, tech.phone || "—"));
    return tr;
  });
  tb.replaceChildren(...rows);
  document.getElementById("no-incidents").hidden = rows.length > 0;
  document.getElementById("incidents").hidden = rows.length === 0;
  document.getElementById("incident-count").textContent = rows.length ? String(rows.length) : "";
}

async function loadIncidents() {
  const seen = incidentEvents;
  try {
    const list = await getJSON("/api/v1/incidents");
    if (seen !== incidentEvents) return; /* an event came meanwhile */
    incidents = new Map(list.map(d => [incidentKey(d), d]));
  } catch (e) {
    return; /* keep what the events said */
  }
  renderIncidents();
}

/* A raise or clear from the event stream. */
function applyIncident(d) {
  if (!d.meeting || !d.endpoint || !d.kind) return;
  incidentEvents++;
  if (d.state === "raised") incidents.set(incidentKey(d), Object.assign({ since: d.time }, d));
  else if (d.state === "cleared") incidents.delete(incidentKey(d));
  renderIncidents();
}

/* Recording and content of a live meeting (docs/api.md: GET meeting's
 * `recording` and `content_playing`, POST …/record and …/content). The
 * buttons stay the same elements; only their texts change. */
function fmtBytes(n) {
  if (typeof n !== "number") return "";
  return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.round(n / 1024) + " kB";
}

function baseName(path) {
  return String(path || "").split("/").pop();
}

function renderMedia(id, n, m) {
  const rec = m.recording && typeof m.recording === "object" ? m.recording : null;
  const on = rec ? !!rec.on : m.recording === true;
  const rs = n.querySelector(".r-state");
  rs.textContent = t(on ? "rec_on" : "rec_off");
  rs.className = "r-state" + (on ? " on" : "");
  n.querySelector(".r-info").textContent = rec && rec.file
    ? (on ? "" : t("rec_last") + ": ") + baseName(rec.file) + " · " +
      num(rec.seconds, 0) + " s · " + fmtBytes(rec.bytes) : "";
  n.querySelector(".r-info").title = rec && rec.file ? rec.file : "";
  const err = n.querySelector(".r-error");
  err.hidden = !(rec && rec.error);
  err.textContent = rec && rec.error ? rec.error : "";
  const btn = n.querySelector(".r-toggle");
  btn.textContent = t(on ? "rec_stop" : "rec_start");
  btn.dataset.on = on ? "1" : "0";

  const c = m.content_playing;
  n.querySelector(".c-state").textContent = t(c ? (c.ended ? "c_ended" : "c_playing") : "c_none");
  n.querySelector(".c-info").textContent = c ? baseName(c.file) + " · " + num(c.playing_s, 0) +
    (c.duration_s ? " / " + num(c.duration_s, 0) : "") + " s" : "";
  n.querySelector(".c-info").title = c ? c.file : "";
  n.querySelector(".c-stop").hidden = !c;
  const sel = n.querySelector(".c-pick");
  const files = Array.isArray(m.content) ? m.content : [];
  const key = JSON.stringify([lang, files]);
  if (sel.dataset.key !== key) {
    const keep = sel.value;
    sel.dataset.key = key;
    sel.replaceChildren(...(files.length
      ? files.map(f => el("option", { value: f, title: f }, baseName(f)))
      : [el("option", { value: "" }, t("c_nofiles"))]));
    if (files.includes(keep)) sel.value = keep;
  }
  sel.disabled = !files.length;
  n.querySelector(".c-start").disabled = !files.length;
}

/* The test-run readiness report of a meeting (docs/api.md): a small
 * table, shown while the meeting has one (404: none). */
async function refreshReadiness(id) {
  const box = document.getElementById("ready");
  const old = box.querySelector(`[data-id="${CSS.escape(id)}"]`);
  let r;
  try {
    const res = await fetch(`/api/v1/meetings/${encodeURIComponent(id)}/readiness`,
      { headers: headers(false), cache: "no-store" });
    if (!res.ok) {
      if (old) old.remove();
      document.getElementById("ready-box").hidden = !box.children.length;
      return;
    }
    r = await res.json();
  } catch (e) {
    return;
  }
  readySeen.add(id);
  const node = el("div", { class: "ready", "data-id": id });
  const mt = meetings.find(m => m.id === id);
  node.append(el("h3", {}, ((mt && mt.title) || id) + " · " + r.test_date +
    (r.final ? " (" + t("r_final") + ")" : "") + " · " + r.ready + " / " +
    (r.endpoints || []).length + " " + t("v_ready")));
  const tb = el("tbody");
  for (const e of r.endpoints || []) {
    const v = e.video || {}, a = e.audio || {}, tech = e.technician || {};
    const loss = Math.max(v.loss_pct == null ? -1 : v.loss_pct,
      a.loss_pct == null ? -1 : a.loss_pct);
    const tr = el("tr", { class: "r-" + e.verdict });
    tr.append(el("td", {}, e.name || e.endpoint), el("td", {}, t("v_" + e.verdict)),
      el("td", {}, (e.reasons || []).join(", ") || "—"),
      el("td", {}, num(v.fps, 1)), el("td", {}, num(a.level_dbov, 1)),
      el("td", {}, loss < 0 ? "—" : loss.toFixed(1) + " %"),
      el("td", {}, num(e.rtt_ms, 1)), el("td", {}, tech.name || "—"),
      el("td", {}, tech.phone || "—"));
    tb.append(tr);
  }
  const head = el("tr");
  for (const k of ["p_name", "r_verdict", "r_reasons"]) head.append(el("th", {}, t(k)));
  for (const h of ["fps", "dBov", t("p_loss"), "RTT"]) head.append(el("th", {}, h));
  for (const k of ["r_tech", "r_phone"]) head.append(el("th", {}, t(k)));
  const table = el("table", { class: "readiness" });
  table.append(el("thead"), tb);
  table.tHead.append(head);
  node.append(table);
  if (old) old.replaceWith(node); else box.append(node);
  document.getElementById("ready-box").hidden = false;
}

function onEvent(type, ev) {
  let d = {};
  try { d = JSON.parse(ev.data); } catch (e) { return; }
  const mt = meetings.find(m => m.id === d.meeting);
  let text = t("ev_" + type) + ": " + ((mt && mt.title) || d.meeting || "");
  if (d.name || d.endpoint) text += " · " + (d.name || epName(d.endpoint));
  if (type === "floor") text += " · " + (d.holder ? epName(d.holder) : t("nobody"));
  if (type === "state") text += " · " + t("st_" + d.from) + " → " + t("st_" + d.to);
  if (type === "incident") text += " · " + d.kind + " " + d.state +
    (d.detail ? " (" + d.detail + ")" : "") +
    (d.technician && d.technician.name ? " · " + d.technician.name + " " + (d.technician.phone || "") : "");
  if (type === "readiness") text += " · " + t("v_" + d.verdict) +
    (d.reasons && d.reasons.length ? " (" + d.reasons.join(", ") + ")" : "") +
    (d.technician && d.technician.name ? " · " + d.technician.name + " " + (d.technician.phone || "") : "");
  note(text, (type === "incident" && d.state === "raised") ||
    (type === "readiness" && d.verdict === "not-ready"));
  if (type === "readiness") refreshReadiness(d.meeting);
  if (type === "incident") applyIncident(d);
  if (type === "state") loadMeetings();
  else if (d.meeting && live.has(d.meeting)) refreshMeeting(d.meeting);
}

function connectEvents() {
  if (!window.EventSource) {
    setStatus("polling", "");
    return;
  }
  const es = new EventSource("/api/v1/events");
  /* (Re)connected: events may have been missed meanwhile. */
  es.onopen = () => { setStatus("online", "ok"); loadIncidents(); };
  es.onerror = () => setStatus(es.readyState === EventSource.CLOSED ? "polling" : "offline",
    es.readyState === EventSource.CLOSED ? "" : "bad");
  for (const type of ["join", "leave", "floor", "incident", "state", "readiness"])
    es.addEventListener(type, ev => onEvent(type, ev));
}

document.getElementById("tokenform").addEventListener("submit", ev => {
  ev.preventDefault();
  const v = document.getElementById("token").value.trim();
  if (v) sessionStorage.setItem("mcud.token", v);
  document.getElementById("token").value = "";
  document.getElementById("token").placeholder = token() ? "••••••" : "";
});
document.getElementById("forget").addEventListener("click", () => {
  sessionStorage.removeItem("mcud.token");
  document.getElementById("token").placeholder = "";
});
document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "vi" ? "en" : "vi";
  localStorage.setItem("mcud.lang", lang);
  translate();
});

document.getElementById("token").placeholder = token() ? "••••••" : "";
translate();
loadMeetings().then(loadIncidents);
/* The stream opens once the first lists and pictures are asked for: it
 * never ends, and a headless browser taking a screenshot waits for the
 * page's requests to finish. */
setTimeout(connectEvents, 1500);
setInterval(() => loadMeetings().then(loadIncidents), 5000);
setInterval(() => { for (const id of live.keys()) refreshMeeting(id); }, 2000);
