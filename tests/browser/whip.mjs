// Headless Chromium joins a live meeting through mcud's join page and WHIP
// (issue 7 item 3); run by tests/integration/webrtc_whip.sh inside its
// network namespace. Prints one line per check ("ok   - ..." or
// "FAIL - ...") for the shell to count; exits 2 when the browser could not
// be driven at all.
//
// Environment: WHIP_URL (http://127.0.0.1:PORT), WHIP_JOIN (/join/<token>),
// WHIP_VIDEO (vp8 or h264: the page is asked to prefer it), WHIP_TOKEN (the
// operator's API token), WHIP_MEETING, WHIP_ENDPOINT, WHIP_SHOTS (folder
// for screenshots), CHROMIUM (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import dgram from "node:dgram";

const env = (k, d) => process.env[k] || d;
const URL_ = env("WHIP_URL");
const JOIN = env("WHIP_JOIN");
const VIDEO = env("WHIP_VIDEO", "vp8");
const TOKEN = env("WHIP_TOKEN");
const MEETING = env("WHIP_MEETING", "t");
const EP = env("WHIP_ENDPOINT", "web1");
const SHOTS = env("WHIP_SHOTS", ".");
const EXE = env("CHROMIUM", "/usr/bin/chromium");
if (!URL_ || !JOIN || !TOKEN) {
  console.error("whip.mjs: WHIP_URL, WHIP_JOIN and WHIP_TOKEN are needed");
  process.exit(2);
}

let fails = 0;
function check(desc, cond) {
  if (cond) console.log("ok   - " + desc);
  else {
    fails++;
    console.log("FAIL - " + desc);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + " s";

async function participant() {
  const r = await fetch(`${URL_}/api/v1/meetings/${MEETING}/participants`,
    { headers: { Authorization: "Bearer " + TOKEN } });
  if (!r.ok) return null;
  const list = await r.json();
  return list.find((p) => p.endpoint === EP) || null;
}

// What the browser receives and sends, from getStats().
function stats(page) {
  return page.evaluate(async () => {
    const pc = window.mcuJoin && window.mcuJoin.pc;
    if (!pc) return null;
    const out = { vin: 0, ain: 0, vout: 0, codecIn: "", codecOut: "", w: 0, h: 0 };
    const rep = await pc.getStats();
    const codecs = {};
    rep.forEach((s) => { if (s.type === "codec") codecs[s.id] = s.mimeType; });
    rep.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        out.vin = s.framesDecoded || 0;
        out.w = s.frameWidth || 0;
        out.h = s.frameHeight || 0;
        out.codecIn = codecs[s.codecId] || "";
      }
      if (s.type === "inbound-rtp" && s.kind === "audio") out.ain = s.packetsReceived || 0;
      if (s.type === "outbound-rtp" && s.kind === "video") {
        out.vout = s.framesEncoded || 0;
        out.codecOut = codecs[s.codecId] || "";
      }
    });
    return out;
  });
}

async function until(what, fn, ms) {
  const end = Date.now() + ms;
  let v;
  while (Date.now() < end) {
    v = await fn().catch(() => null);
    if (v) return v;
    await sleep(250);
  }
  return v;
}

const browser = await chromium.launch({
  executablePath: EXE,
  args: ["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required"].concat(process.env.WHIP_CHROME_LOG
    ? ["--enable-logging", "--log-file=" + process.env.WHIP_CHROME_LOG, "--v=0",
      "--vmodule=*srtp*=3,rtp_transport=3,rtp_demuxer=3,*video_engine*=3,dtls_srtp_transport=3"] : []),
}).catch((e) => {
  console.error("cannot launch chromium: " + e.message);
  process.exit(2);
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${URL_}${JOIN}?video=${VIDEO}`);
  const ready = await until("ready", () => page.evaluate(() =>
    window.mcuJoin && window.mcuJoin.status === "ready"), 15000);
  check(`the page previews the camera and is ready (${secs()})`, ready);
  const who = await page.evaluate(() => [document.getElementById("meeting").textContent,
    document.getElementById("endpoint").textContent, document.documentElement.lang]);
  check(`the page names the meeting and endpoint in Vietnamese (${who.join(" / ")})`,
    who[0] && who[0] !== "…" && who[1] && who[1] !== "…" && who[2] === "vi");
  await page.click("#join");
  const joined = await until("joined", () => page.evaluate(() =>
    window.mcuJoin.status === "joined" || (window.mcuJoin.status === "failed" && "failed")), 30000);
  const err = await page.evaluate(() => window.mcuJoin.error);
  check(`the browser is connected by ICE and DTLS (${secs()}${err ? ", " + err : ""})`,
    joined === true);

  // The browser decodes the MCU's picture, rising; hears its audio.
  const s1 = await until("frames", async () => {
    const s = await stats(page);
    return s && s.vin > 10 ? s : null;
  }, 30000);
  await sleep(2000);
  const s2 = await stats(page);
  check(`the browser decodes frames from the MCU, rising (${s1 && s1.vin} -> ${s2 && s2.vin}, ` +
    `${s2 && s2.w}x${s2 && s2.h}, ${s2 && s2.codecIn})`, s1 && s2 && s2.vin > s1.vin);
  check(`the browser receives the MCU's audio (${s2 && s2.ain} packets)`, s2 && s2.ain > 20);
  check(`video is ${VIDEO} both ways (in ${s2 && s2.codecIn}, out ${s2 && s2.codecOut})`,
    s2 && s2.codecIn.toLowerCase() === "video/" + VIDEO &&
    s2.codecOut.toLowerCase() === "video/" + VIDEO);

  // The MCU decodes the browser's picture, rising.
  const p1 = await until("mcu frames", async () => {
    const p = await participant();
    const f = p && p.video && p.video.in && p.video.in.frames_decoded;
    return f > 10 ? p : null;
  }, 30000);
  await sleep(2000);
  const p2 = await participant();
  const f1 = p1 && p1.video.in.frames_decoded, f2 = p2 && p2.video && p2.video.in.frames_decoded;
  check(`the MCU decodes frames from the browser, rising (${f1} -> ${f2}, ` +
    `${p2 && p2.video && p2.video.codec}, state ${p2 && p2.state})`,
    f1 > 0 && f2 > f1 && p2.state === "connected");
  console.log("participant: " + JSON.stringify({ video: p2 && p2.video, audio: p2 && p2.audio, srtp: p2 && p2.srtp }));
  check(`the API shows the participant's signalling as webrtc (${p2 && p2.signalling})`,
    p2 && p2.signalling === "webrtc");
  const ain = p2 && p2.audio && p2.audio.in && p2.audio.in.packets;
  check(`the MCU receives the browser's audio (${ain} packets, ${p2 && p2.audio && p2.audio.codec})`,
    ain > 20);

  // Datagrams at the ICE port from an address ICE never validated: no leg
  // may see them (a leg would count an SRTP authentication failure).
  const sdp = await page.evaluate(() => window.mcuJoin.pc.remoteDescription.sdp);
  const m = /a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/i.exec(sdp);
  // The negotiated video payload type, so that the relay would pass the
  // datagrams on to the video leg if they got past ICE.
  const vpt = /^m=video \d+ \S+ (\d+)/m.exec(sdp);
  const before = p2 && p2.srtp ? p2.srtp.auth_failures : 0;
  if (m) {
    const sock = dgram.createSocket("udp4");
    const pkt = Buffer.alloc(172);
    pkt[0] = 0x80;
    pkt[1] = vpt ? Number(vpt[1]) : 96;
    for (let i = 0; i < 50; i++) {
      pkt.writeUInt16BE(i, 2);
      sock.send(pkt, Number(m[2]), m[1]);
    }
    await sleep(1000);
    sock.close();
  }
  const p3 = await participant();
  const after = p3 && p3.srtp ? p3.srtp.auth_failures : -1;
  check(`50 RTP datagrams (PT ${vpt && vpt[1]}) from an unvalidated address reach no leg (candidate ${m && m[1]}:${m && m[2]}, ` +
    `auth failures ${before} -> ${after})`, m && after === before);

  await page.screenshot({ path: `${SHOTS}/join-${VIDEO}.png` });
  await page.click("#lang");
  const en = await page.evaluate(() => [document.documentElement.lang,
    document.getElementById("leave").textContent]);
  check(`the English toggle changes the labels (${en.join(" / ")})`, en[0] === "en" && en[1] === "Leave");
  await page.screenshot({ path: `${SHOTS}/join-${VIDEO}.en.png` });
  await page.click("#lang");

  await page.click("#leave");
  const gone = await until("left", async () => {
    const p = await participant();
    return p && p.state !== "connected" ? p : null;
  }, 10000);
  check(`Leave (DELETE) disconnects the endpoint (${gone && gone.state})`, gone);
  check(`no script error on the page (${errors.join("; ")})`, errors.length === 0);
} catch (e) {
  check("the browser run had no exception: " + e.message, false);
}
await browser.close();
process.exit(fails ? 1 : 0);
