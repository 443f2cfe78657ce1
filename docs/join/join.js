/* The browser join page of mcud (docs/api.md "Browsers"): the link's
 * token is the last path segment; the page shows whom it admits, previews
 * the camera and microphone, and joins by WHIP (RFC 9725) with the token
 * as its bearer. Everything is gathered before the offer is sent (no
 * trickle). State for tests: window.mcuJoin. */
"use strict";

const I18N = {
  vi: {
    title: "Tham gia cuộc họp trực tuyến", meeting: "Cuộc họp", endpoint: "Điểm cầu",
    loading: "Đang tải…", preview: "Camera của bạn", remote: "Hình ảnh từ MCU",
    join: "Tham gia", leave: "Rời cuộc họp", ready: "Sẵn sàng. Bấm “Tham gia”.",
    badlink: "Đường liên kết không hợp lệ, đã dùng hoặc đã hết hạn.",
    nocam: "Không mở được camera/micrô: ", joining: "Đang kết nối…",
    joined: "Đã tham gia cuộc họp.", left: "Đã rời cuộc họp.",
    failed: "Không tham gia được: ", lost: "Mất kết nối với MCU.",
  },
  en: {
    title: "Join the online meeting", meeting: "Meeting", endpoint: "Endpoint",
    loading: "Loading…", preview: "Your camera", remote: "Picture from the MCU",
    join: "Join", leave: "Leave", ready: "Ready. Press “Join”.",
    badlink: "This link is not valid, was used or has expired.",
    nocam: "Cannot open the camera/microphone: ", joining: "Connecting…",
    joined: "You are in the meeting.", left: "You left the meeting.",
    failed: "Could not join: ", lost: "The connection to the MCU was lost.",
  },
};
const urlLang = new URLSearchParams(location.search).get("lang");
let lang = (urlLang || localStorage.getItem("mcud.lang")) === "en" ? "en" : "vi";
const t = (k) => (I18N[lang] && I18N[lang][k]) || I18N.vi[k] || k;

const token = decodeURIComponent(location.pathname.split("/")[2] || "");
const $ = (id) => document.getElementById(id);
const state = { info: null, stream: null, pc: null, location: null, status: "loading", error: "" };
window.mcuJoin = state;
let statusKey = "loading", statusExtra = "";

function setStatus(key, extra, cls) {
  statusKey = key;
  statusExtra = extra || "";
  state.status = key;
  const el = $("status");
  el.textContent = t(key) + statusExtra;
  el.className = "status" + (cls ? " " + cls : "");
}

function applyLang() {
  document.documentElement.lang = lang;
  $("lang").textContent = lang === "vi" ? "EN" : "VI";
  document.title = "mcud — " + t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  setStatus(statusKey, statusExtra, $("status").className.replace("status", "").trim());
}

async function loadInfo() {
  const r = await fetch("/join/" + encodeURIComponent(token) + "/info");
  if (!r.ok) throw new Error("badlink");
  state.info = await r.json();
  $("meeting").textContent = state.info.title || state.info.meeting;
  $("endpoint").textContent = state.info.name || state.info.endpoint;
}

async function openMedia() {
  state.stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 360, frameRate: 25 }, audio: true });
  $("local").srcObject = state.stream;
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

async function join() {
  $("join").disabled = true;
  setStatus("joining");
  try {
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    state.pc = pc;
    for (const track of state.stream.getTracks())
      pc.addTransceiver(track, { direction: "sendrecv", streams: [state.stream] });
    const prefer = new URLSearchParams(location.search).get("video");
    if (prefer && RTCRtpSender.getCapabilities) {
      const caps = RTCRtpSender.getCapabilities("video").codecs;
      const first = caps.filter((c) => c.mimeType.toLowerCase() === "video/" + prefer.toLowerCase());
      const rest = caps.filter((c) => c.mimeType.toLowerCase() !== "video/" + prefer.toLowerCase());
      for (const tr of pc.getTransceivers())
        if (tr.sender.track && tr.sender.track.kind === "video" && first.length)
          tr.setCodecPreferences(first.concat(rest));
    }
    const remote = new MediaStream();
    $("remote").srcObject = remote;
    pc.ontrack = (ev) => { remote.addTrack(ev.track); };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") setStatus("joined", "", "ok");
      if (pc.connectionState === "failed") setStatus("lost", "", "error");
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 3000);
    const r = await fetch("/whip/" + encodeURIComponent(state.info.meeting), {
      method: "POST",
      headers: { "Content-Type": "application/sdp", "Authorization": "Bearer " + token },
      body: pc.localDescription.sdp,
    });
    const body = await r.text();
    if (r.status !== 201) {
      let why = r.status + "";
      try { why = JSON.parse(body).detail || why; } catch (e) { /* SDP or text */ }
      throw new Error(why);
    }
    state.location = r.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: body });
    $("leave").disabled = false;
  } catch (e) {
    state.error = String(e.message || e);
    setStatus("failed", state.error, "error");
    if (state.pc) state.pc.close();
    state.pc = null;
    $("join").disabled = false;
  }
}

async function leave() {
  $("leave").disabled = true;
  if (state.location)
    await fetch(state.location, { method: "DELETE",
      headers: { "Authorization": "Bearer " + token } }).catch(() => {});
  if (state.pc) state.pc.close();
  state.pc = null;
  state.location = null;
  setStatus("left");
}

$("lang").addEventListener("click", () => {
  lang = lang === "vi" ? "en" : "vi";
  localStorage.setItem("mcud.lang", lang);
  applyLang();
});
$("join").addEventListener("click", join);
$("leave").addEventListener("click", leave);

(async () => {
  applyLang();
  try {
    await loadInfo();
  } catch (e) {
    setStatus("badlink", "", "error");
    return;
  }
  try {
    await openMedia();
  } catch (e) {
    setStatus("nocam", String(e.message || e), "error");
    return;
  }
  setStatus("ready");
  $("join").disabled = false;
})();
