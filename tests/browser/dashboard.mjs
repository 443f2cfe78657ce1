// Headless Chromium on the mcud dashboard of a live meeting (issue 6,
// item 1), driven by playwright-core with Debian's chromium; run by
// tests/integration/dashboard_browser.sh, which starts mcud, the senders
// and queues a floor request. Prints one line per check, "ok   - ..." or
// "FAIL - ...", for the shell to count; exits 2 when the browser could not
// be driven at all.
//
// Environment: DASH_URL (http://127.0.0.1:PORT), DASH_TOKEN (the API token),
// DASH_MEETING (meeting id), DASH_QUEUED (the endpoint queued for the floor),
// DASH_SHOTS (folder for the screenshots), CHROMIUM (default
// /usr/bin/chromium); DASH_STOP_PID (a video sender to stop: the no-video
// incident of DASH_STOP_EP), DASH_CLIP (the meeting's content file),
// DASH_TESTRUN (a meeting in its test run). Without the last four their
// checks are skipped.
import { chromium } from "playwright-core";

const env = (k, d) => process.env[k] || d;
const URL_ = env("DASH_URL");
const TOKEN = env("DASH_TOKEN");
const MEETING = env("DASH_MEETING", "t");
const QUEUED = env("DASH_QUEUED");
const SHOTS = env("DASH_SHOTS", ".");
const EXE = env("CHROMIUM", "/usr/bin/chromium");
const STOP_PID = parseInt(env("DASH_STOP_PID", "0"), 10);
const STOP_EP = env("DASH_STOP_EP");
const CLIP = env("DASH_CLIP");
const TESTRUN = env("DASH_TESTRUN");
if (!URL_ || !TOKEN || !QUEUED) {
  console.error("dashboard.mjs: DASH_URL, DASH_TOKEN and DASH_QUEUED are needed");
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
const sleep = ms => new Promise(r => setTimeout(r, ms));
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + " s";

async function api(path) {
  const r = await fetch(URL_ + path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

// The cells' texts of the page's rows matching SELECTOR.
function cells(page, selector) {
  return page.locator(selector).evaluateAll(trs =>
    trs.map(tr => [...tr.cells].map(td => td.textContent.trim())));
}

// The live picture of ROLE as the page shows it: its blob URL, size, a hash
// of its pixels and the number of distinct colours (drawn into a canvas:
// the blob is same-origin, so the canvas is readable).
function picture(page, role) {
  return page.evaluate(role => {
    const img = document.querySelector(`section.meeting[data-id="t"] .v-${role}`);
    if (!img || !img.complete || !img.naturalWidth) return null;
    const c = document.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    const colours = new Set();
    let red = 0;
    for (let i = 0; i < d.length; i += 4) {
      h = Math.imul(h ^ d[i], 16777619);
      h = Math.imul(h ^ d[i + 1], 16777619);
      h = Math.imul(h ^ d[i + 2], 16777619);
      if (i % 64 === 0) colours.add((d[i] >> 4) << 8 | (d[i + 1] >> 4) << 4 | d[i + 2] >> 4);
      if (d[i] > 200 && d[i + 1] < 60 && d[i + 2] < 60) red++;
    }
    return { src: img.src, w: img.naturalWidth, h: img.naturalHeight,
             hash: h >>> 0, colours: colours.size, red: red * 4 / d.length };
  }, role);
}

async function waitFor(desc, fn, ms) {
  const end = Date.now() + ms;
  let v;
  while (Date.now() < end) {
    try {
      v = await fn();
      if (v) return v;
    } catch (e) { /* not yet */ }
    await sleep(200);
  }
  return v;
}

const browser = await chromium.launch({
  executablePath: EXE,
  headless: true,
  timeout: 90000,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-extensions"],
}).catch(e => {
  console.log("FAIL - chromium starts (" + e.message.split("\n")[0] + ")");
  process.exit(2);
});
console.log(`ok   - chromium ${browser.version()} starts (${secs()})`);

const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 },
    locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
  page.setDefaultTimeout(30000);
  page.on("pageerror", e => errors.push("page error: " + e.message));
  // Every error counts, the icon's too (it is served).
  page.on("console", m => {
    if (m.type() === "error")
      errors.push("console: " + m.text() + " " + ((m.location() || {}).url || ""));
  });
  page.on("response", r => {
    if (r.status() >= 400) errors.push(r.status() + " " + r.url());
  });
  const asked = []; // the page's requests, in order
  page.on("request", r => asked.push(new URL(r.url()).pathname));
  await page.goto(URL_ + "/", { waitUntil: "domcontentloaded", timeout: 60000 });

  // Vietnamese by default.
  check("the page is Vietnamese by default (<html lang=" +
    await page.getAttribute("html", "lang") + ">)",
    (await page.getAttribute("html", "lang")) === "vi");
  const h1vi = await page.textContent("h1");
  check(`the title is Vietnamese (${h1vi})`, h1vi === "Bảng điều khiển MCU");

  // The meeting list and the live meeting's participants, as in the API.
  const sec = page.locator(`section.meeting[data-id="${MEETING}"]`);
  await sec.waitFor({ timeout: 30000 });
  const m = await api(`/api/v1/meetings/${MEETING}`);
  const want = (m.participants || []).map(p => p.endpoint).sort();
  const dir = await api("/api/v1/endpoints");
  const rows = await waitFor("rows", async () => {
    const eps = (await sec.locator(".parts tbody tr").evaluateAll(
      trs => trs.map(tr => tr.dataset.ep))).sort();
    return eps.length === want.length ? eps : null;
  }, 20000) || [];
  check(`the participant table lists the API's participants (${rows.join(",")} = ${want.join(",")})`,
    rows.length > 0 && rows.join() === want.join());
  for (const p of m.participants || []) {
    const tr = sec.locator(`.parts tbody tr[data-ep="${p.endpoint}"]`);
    const cells = (await tr.locator("td").allTextContents()).map(s => s.trim());
    const tier = { city: "thành phố", district: "quận, huyện", commune: "xã, phường" }[
      (dir.find(e => e.id === p.endpoint) || {}).tier];
    check(`row ${p.endpoint}: name and tier ${cells[0]}, state ${cells[1]}, codec ${cells[3]}, ${cells[4]} at ${cells[5]} fps`,
      cells[0].startsWith(p.name) && cells[0].endsWith(tier) && cells[1] === "đã kết nối" &&
      cells[3] === "h264 / opus" && /^\d+×\d+$/.test(cells[4]) && parseFloat(cells[5]) > 0);
  }
  // Branch STOP_EP's video sender stops now: its no-video incident comes
  // about 5 s later (checked below, while the rest goes on).
  let stopped = false;
  if (STOP_PID > 0) {
    try {
      process.kill(STOP_PID, "SIGTERM");
      stopped = true;
    } catch (e) { /* already gone: the check below fails */ }
    check(`${STOP_EP}'s video sender (pid ${STOP_PID}) is stopped (${secs()})`, stopped);
  }
  const mrow = await page.locator(`#meetings tbody tr[data-id="${MEETING}"] td`).allTextContents();
  const host = m.participants.find(p => p.role === "host") || {};
  check(`the meeting list shows ${MEETING} live, with its host's name (${mrow.join(" | ")})`,
    mrow.length > 3 && mrow[1] === host.name && mrow[3] === "đang họp");
  const mhead = (await page.locator("#meetings thead th").allTextContents()).map(x => x.trim());
  check(`every column of the meeting list has a heading (${mhead.join(" | ")}), the last one over the id`,
    mhead.length === mrow.length && mhead.every(x => x) &&
    mhead[mhead.length - 1] === "Mã cuộc họp" && mrow[mrow.length - 1] === MEETING);
  // The icon: linked from the page, served at both names.
  const icon = await page.getAttribute('link[rel="icon"]', "href");
  const iconAt = async u => {
    const r = await fetch(URL_ + u, { cache: "no-store" });
    const body = await r.text();
    return r.status + " " + r.headers.get("content-type") + " " + /<svg[\s>]/.test(body);
  };
  const svg = await iconAt("/favicon.svg"), ico = await iconAt("/favicon.ico");
  check(`the page links its icon (${icon}), served as /favicon.svg (${svg}) and /favicon.ico (${ico})`,
    icon === "/favicon.svg" && svg === "200 image/svg+xml true" && ico === svg);

  // The live pictures load and change over time.
  const p1 = await waitFor("picture", () => picture(page, "host"), 30000);
  check(`the host's live picture loads (${p1 ? p1.w + "x" + p1.h + ", " + p1.colours + " colours" : "none"}, ${secs()})`,
    p1 && p1.w >= 320 && p1.colours >= 4);
  // A later picture: a new blob, fully decoded (not one being loaded).
  await sleep(2000);
  const p2 = await waitFor("new picture", async () => {
    const p = await picture(page, "host");
    return p && p1 && p.src !== p1.src ? p : null;
  }, 15000);
  check(`...and is refreshed: a new fetch (${p1 && p2 && p1.src !== p2.src}) with other pixels (${p1 && p1.hash} -> ${p2 && p2.hash})`,
    p1 && p2 && p1.src !== p2.src && p1.hash !== p2.hash);
  const pb = await picture(page, "branches");
  check(`the branches' live picture loads and shows the host's red (${pb ? pb.w + "x" + pb.h + ", red " + pb.red.toFixed(2) : "none"})`,
    pb && pb.w >= 320 && pb.red >= 0.5);

  // Open incidents: the panel shows the stopped sender's no-video, with the
  // technician's name and phone from the roster (the directory), and the
  // event log has the event.
  let inc = null;
  if (stopped) {
    const epInfo = dir.find(e => e.id === STOP_EP) || {};
    const tech = (epInfo.contacts || {}).technician || {};
    const sel = `#incidents tbody tr[data-ep="${STOP_EP}"][data-kind="no-video"]`;
    inc = await waitFor("incident", async () => {
      const rows = await cells(page, sel);
      return rows.length === 1 ? rows[0] : null;
    }, 40000);
    check(`the incidents panel shows ${STOP_EP}'s no-video incident (${inc && inc.join(" | ")}, ${secs()})`,
      inc && inc[0] === "Test" && inc[1] === epInfo.name && inc[2] === "mất hình" &&
      /^\d\d:\d\d:\d\d$/.test(inc[3]) && /no video/.test(inc[4]) &&
      inc[5] === tech.name && inc[6] === tech.phone && !!tech.phone);
    const list = await api("/api/v1/incidents");
    const mine = list.find(x => x.endpoint === STOP_EP && x.kind === "no-video");
    check(`...as GET /api/v1/incidents has it (${mine && JSON.stringify(mine)})`,
      mine && mine.meeting === MEETING && mine.technician && mine.technician.phone === tech.phone &&
      inc && new Date(mine.since).toLocaleTimeString("vi-VN",
        { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "Asia/Ho_Chi_Minh" }) === inc[3]);
    const count = (await page.textContent("#incident-count")).trim();
    check(`the panel's count matches the API's list (${count} = ${list.length}); "none" is hidden`,
      count === String(list.length) && await page.locator("#no-incidents").isHidden());
    const evlog = (await page.locator("#log li.incident").allTextContents()).join(" | ");
    check(`the event log lists the incident (${evlog})`,
      /sự cố: Test · .* · no-video raised/.test(evlog));
  }

  // Floor: the queued request is listed; without a token a grant is refused
  // in the page; with the token typed in, grant moves the floor.
  const qname = (m.participants.find(p => p.endpoint === QUEUED) || {}).name || QUEUED;
  const item = sec.locator(".f-queue li", { hasText: qname });
  await item.waitFor({ timeout: 15000 });
  check(`the floor queue lists ${qname}`, await item.count() === 1);
  const holderBefore = (await sec.locator(".f-holder").textContent()).trim();
  check(`nobody holds the floor yet (${holderBefore})`, holderBefore === "không có");
  // Vietnamese, with the request waiting in the queue; English (below)
  // once it is granted.
  await page.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });

  // The page refreshes every 2 s: the buttons must stay the same elements
  // while nothing about them changes, or a click falls between two of them.
  const other = sec.locator(".parts tbody tr button.grant").first();
  await other.evaluate(b => { b.dataset.mark = "1"; });
  await page.locator(".f-queue button.grant").evaluate(b => { b.dataset.mark = "1"; });
  await sleep(2600);
  const kept = await page.evaluate(() =>
    [...document.querySelectorAll("section.meeting button.grant[data-mark]")].length);
  check(`the grant buttons outlive a refresh (${kept} of 2 kept)`, kept === 2);

  // Without a token a button sends nothing and says why; a wrong token is
  // refused by the API and the page says so.
  const logHas = re => waitFor("log", async () =>
    re.test((await page.locator("#log li").allTextContents()).join(" | ")), 5000);
  await item.locator("button.grant").click();
  check("without a token, grant asks for it", await logHas(/Cần nhập mã truy cập để thao tác/));
  await page.fill("#token", "not-the-token");
  await page.click('#tokenform button[type="submit"]');
  await item.locator("button.grant").click();
  check("with a wrong token, grant fails with 403", await logHas(/Không thực hiện được: 403/));
  const f0 = (await api(`/api/v1/meetings/${MEETING}`)).floor || {};
  check(`...and nothing changed (holder ${f0.holder}, queue ${(f0.queue || []).join(",")})`,
    !f0.holder && (f0.queue || []).join() === QUEUED);
  for (let i = errors.length; i--;) if (/403/.test(errors[i])) errors.splice(i, 1);

  await page.fill("#token", TOKEN);
  await page.click('#tokenform button[type="submit"]');
  const stored = await page.evaluate(() => sessionStorage.getItem("mcud.token"));
  check("the token is kept for the tab and the field emptied",
    stored === TOKEN && (await page.inputValue("#token")) === "");
  await item.locator("button.grant").click();
  const holder = await waitFor("holder", async () => {
    const h = (await sec.locator(".f-holder").textContent()).trim();
    return h === qname ? h : null;
  }, 15000);
  check(`clicking grant makes ${qname} the holder on the page (${holder}, ${secs()})`, holder === qname);
  // The note of the POST at once; the floor event when the stream brings it.
  let log = "";
  await waitFor("log", async () => {
    log = (await page.locator("#log li").allTextContents()).join(" | ");
    return log.includes("quyền phát biểu: Test · " + qname);
  }, 10000);
  check(`the event log says it was done and names the new holder (${log})`,
    /Đã thực hiện: t\/floor/.test(log) && log.includes("quyền phát biểu: Test · " + qname));
  const rowFloor = (await sec.locator(`.parts tbody tr[data-ep="${QUEUED}"] td`).nth(2).textContent()).trim();
  check(`${QUEUED}'s row shows it speaking (${rowFloor})`, rowFloor === "đang phát biểu");

  // Recording: the button starts one (the API says on, the page too).
  const recOn = async want => waitFor("recording", async () => {
    const r = (await api(`/api/v1/meetings/${MEETING}`)).recording;
    const st = (await sec.locator(".r-state").textContent()).trim();
    return r && typeof r === "object" && r.on === want &&
      st === (want ? "đang ghi" : "không ghi") ? r : null;
  }, 20000);
  const rb0 = (await sec.locator(".r-toggle").textContent()).trim();
  await sec.locator(".r-toggle").click();
  const rec1 = await recOn(true);
  check(`the record button ("${rb0}") starts a recording (API: ${rec1 && rec1.file}, ${secs()})`,
    rb0 === "Bắt đầu ghi" && rec1 && /\/t-[0-9T]+(-\d+)?\.mkv$/.test(rec1.file) &&
    (await sec.locator(".r-toggle").textContent()).trim() === "Dừng ghi");

  // Content: the picker lists the meeting's file; play it.
  if (CLIP) {
    const opts = await sec.locator(".c-pick option").evaluateAll(os =>
      os.map(o => [o.value, o.textContent]));
    check(`the content picker lists the meeting's file (${JSON.stringify(opts)})`,
      opts.length === 1 && opts[0][0] === CLIP && opts[0][1] === CLIP.split("/").pop());
    await sec.locator(".c-pick").selectOption(CLIP);
    await sec.locator(".c-start").click();
    const playing = await waitFor("content", async () => {
      const c = (await api(`/api/v1/meetings/${MEETING}`)).content_playing;
      const st = (await sec.locator(".c-state").textContent()).trim();
      const info = (await sec.locator(".c-info").textContent()).trim();
      return c && /^(đang phát|đã hết)/.test(st) && info.startsWith(CLIP.split("/").pop()) &&
        await sec.locator(".c-stop").isVisible() ? [c.file, st, info] : null;
    }, 20000);
    check(`the play button plays it (API, page: ${playing && playing.join(" | ")}, ${secs()})`,
      playing && playing[0] === CLIP);
  }


  // English and back.
  await page.click("#lang");
  const en = {
    h1: await page.textContent("h1"),
    lang: await page.getAttribute("html", "lang"),
    th: (await sec.locator(".parts thead th").first().textContent()).trim(),
    cap: (await sec.locator("figcaption").first().textContent()).trim(),
    state: (await sec.locator(".parts tbody td .badge").first().textContent()).trim(),
    holder: (await sec.locator(".f-holder").textContent()).trim(),
    mstate: (await page.locator(`#meetings tbody tr[data-id="${MEETING}"] td`).nth(3).textContent()).trim(),
    button: (await page.textContent("#lang")).trim(),
  };
  check(`the English toggle changes the labels (${JSON.stringify(en)})`,
    en.h1 === "MCU dashboard" && en.lang === "en" && en.th === "Endpoint" &&
    en.cap === "The host sees" && en.state === "connected" && en.holder === qname &&
    en.mstate === "live" && en.button === "VI");
  // The choice is kept over a reload.
  asked.length = 0;
  await page.reload({ waitUntil: "domcontentloaded" });
  await sec.locator(".parts tbody tr").first().waitFor();
  check("the choice of English is kept over a reload",
    (await page.textContent("h1")) === "MCU dashboard");
  // English, the floor granted (a fresh page: its log is empty).
  await waitFor("pictures", async () => await picture(page, "host") && picture(page, "branches"), 10000);
  const status = await waitFor("stream", async () => {
    const st = (await page.textContent("#status")).trim();
    return st === "Live" ? st : null;
  }, 10000);
  check(`the event stream connects (status ${status})`, status === "Live");
  if (inc) {
    // A new page knows the open incident from the API, not from an event.
    const again = await waitFor("incident", async () => {
      const rows = await cells(page, `#incidents tbody tr[data-ep="${STOP_EP}"][data-kind="no-video"]`);
      return rows.length === 1 ? rows[0] : null;
    }, 15000);
    check(`after the reload the panel lists it again, in English (${again && again.join(" | ")}; ` +
      `GET /api/v1/incidents asked: ${asked.includes("/api/v1/incidents")})`,
      again && again[2] === "no video" && again[5] === inc[5] && again[6] === inc[6] &&
      asked.includes("/api/v1/incidents"));
  }
  if (TESTRUN) {
    // The readiness section: meeting TESTRUN's report, as the API has it.
    const rep = await waitFor("readiness", async () => {
      const r = await api(`/api/v1/meetings/${TESTRUN}/readiness`);
      const rows = await cells(page, `#ready [data-id="${TESTRUN}"] tbody tr`);
      const want = (r.endpoints || []).map(e => [e.name, { ready: "ready", "not-ready": "not ready",
        checking: "checking" }[e.verdict], (e.technician || {}).name, (e.technician || {}).phone]);
      const got = rows.map(c => [c[0], c[1], c[7], c[8]]);
      return want.length && JSON.stringify(got) === JSON.stringify(want) ? got : null;
    }, 30000);
    const head = rep ? (await page.textContent(`#ready [data-id="${TESTRUN}"] h3`)).trim() : "";
    check(`the readiness section shows meeting ${TESTRUN}'s test-run report as the API (${JSON.stringify(rep)}; ${head})`,
      rep && rep.length === 2 && rep.every(r => r[3]) && !(await page.locator("#ready-box").isHidden()));
  }
  await page.screenshot({ path: `${SHOTS}/dashboard.en.png`, fullPage: true });
  if (CLIP) {
    const stopBtn = (await sec.locator(".c-stop").textContent()).trim();
    await sec.locator(".c-stop").click();
    const none = await waitFor("content stop", async () => {
      const c = (await api(`/api/v1/meetings/${MEETING}`)).content_playing;
      return c === null && (await sec.locator(".c-state").textContent()).trim() === "nothing playing" &&
        await sec.locator(".c-stop").isHidden();
    }, 20000);
    check(`the stop button ("${stopBtn}") stops the content (API content_playing null, ${secs()})`,
      stopBtn === "Stop content" && none);
  }
  await sec.locator(".r-toggle").click();
  const recOff = await waitFor("recording off", async () => {
    const r = (await api(`/api/v1/meetings/${MEETING}`)).recording;
    const st = (await sec.locator(".r-state").textContent()).trim();
    const info = (await sec.locator(".r-info").textContent()).trim();
    return r && r.on === false && st === "not recording" && info.startsWith("last file: t-") ? r : null;
  }, 20000);
  check(`the record button stops it again (API on=false, ${recOff && recOff.seconds} s, ${recOff && recOff.bytes} B)`,
    recOff && rec1 && recOff.file === rec1.file && recOff.bytes > 0);
  await page.click("#lang");
  const vi = (await page.textContent("h1")).trim();
  const viTh = (await sec.locator(".parts thead th").first().textContent()).trim();
  check(`...and the toggle brings Vietnamese back (${vi}, ${viTh})`,
    vi === "Bảng điều khiển MCU" && viTh === "Điểm cầu" &&
    (await page.getAttribute("html", "lang")) === "vi");
  // ?lang=en in the address wins over the last choice.
  await page.goto(URL_ + "/?lang=en", { waitUntil: "domcontentloaded" });
  await sec.locator(".parts tbody tr").first().waitFor();
  const byUrl = [await page.textContent("h1"), await page.getAttribute("html", "lang")];
  check(`/?lang=en shows the English page (${byUrl.join(", ")})`,
    byUrl[0] === "MCU dashboard" && byUrl[1] === "en");
  check(`no script error in the page (${errors.join("; ") || "none"})`, errors.length === 0);
} catch (e) {
  check("the browser run completes (" + e.message.split("\n")[0] + ")", false);
} finally {
  await browser.close();
}
console.log(`dashboard.mjs: ${fails} failed, ${secs()}`);
process.exit(fails ? 1 : 0);
