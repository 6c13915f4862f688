// Browser test of the console's Reportes page as `senda serve` wires it,
// with a fake Twilio REST API in this process: two people opt in to
// seguridad and one sends a report, all through the signed webhook; staff
// open the report, edit it, preview it, publish it, and each subscriber
// gets the alert exactly once; a second report is discarded and leaves
// the queue. The report's words are escaped, axe finds nothing on the
// queue or the report page, and there is no CSP violation (the context
// bypasses CSP only to inject axe, so the CSP check is in serve.test.mjs'
// and console.test.mjs' terms: none is logged).
// Screenshots: 20-reportes, 21-reporte-vista-previa.
//
// Run through run.sh, which builds senda and sets SENDA_BIN.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

// axeClean runs axe-core on the page (WCAG 2 A and AA) and fails on any
// violation. The context bypasses CSP only so axe can be injected.
async function axeClean(page, what) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] }));
  const found = res.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(found, [], `axe on ${what}`);
}

const bin = process.env.SENDA_BIN;
const shots = process.env.SCREENSHOT_DIR || path.join(import.meta.dirname, "screenshots");
const token = "reports-test-" + randomBytes(12).toString("hex");
const authToken = randomBytes(16).toString("hex");
const accountSID = "AC" + "0".repeat(32);
const publicURL = "https://senda.example.org";

let serve, base, browser, twilio, logs = "";
const sent = []; // {to, body} of every message the fake Twilio accepted
const cspErrors = [];

// fakeTwilio answers Messages.json creates as Twilio does, enough for
// Senda's client.
function fakeTwilio() {
  return new Promise((resolve) => {
    const srv = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => { body += d; });
      req.on("end", () => {
        if (req.method === "POST" && req.url.endsWith("/Messages.json")) {
          const f = new URLSearchParams(body);
          const sid = "SM" + randomBytes(16).toString("hex");
          sent.push({ to: f.get("To"), body: f.get("Body") });
          res.writeHead(201, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ sid, account_sid: accountSID, status: "queued", to: f.get("To"), from: f.get("From"),
            body: f.get("Body"), num_segments: "1", num_media: "0", direction: "outbound-api", api_version: "2010-04-01",
            date_created: new Date().toUTCString(), date_updated: new Date().toUTCString(), error_code: null, error_message: null }));
          return;
        }
        res.writeHead(204);
        res.end();
      });
    });
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

let sidN = 0;
// say posts one signed inbound message, as Twilio would, and returns the reply's TwiML.
async function say(from, body) {
  const form = { From: from, To: from.startsWith("whatsapp:") ? "whatsapp:+14155238886" : "+50220000000", Body: body,
    MessageSid: "SM" + String(++sidN).padStart(32, "0"), AccountSid: accountSID, NumMedia: "0" };
  const data = publicURL + "/twilio/messages" + Object.keys(form).sort().map((k) => k + form[k]).join("");
  const sig = createHmac("sha1", authToken).update(data).digest("base64");
  const res = await fetch(base + "/twilio/messages", { method: "POST", body: new URLSearchParams(form),
    headers: { "X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded" } });
  assert.equal(res.status, 200, `webhook ${body}`);
  return res.text();
}

before(async () => {
  assert.ok(bin, "SENDA_BIN must name the senda binary (run.sh builds it)");
  mkdirSync(shots, { recursive: true });
  twilio = await fakeTwilio();
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME || "/tmp",
    SENDA_ENV: "development", SENDA_ADDR: "127.0.0.1:0", SENDA_PUBLIC_URL: publicURL,
    SENDA_HASH_KEY: randomBytes(32).toString("hex"),
    SENDA_SUBSCRIBER_KEY: randomBytes(32).toString("base64"),
    SENDA_ADMIN_TOKENS: "programa:" + token,
    TWILIO_ACCOUNT_SID: accountSID, TWILIO_AUTH_TOKEN: authToken,
    SENDA_TWILIO_API_BASE: "http://127.0.0.1:" + twilio.address().port, SENDA_TWILIO_FROM: "+50220000000",
    SENDA_WHATSAPP_FROM: "whatsapp:+14155238886", SENDA_QUIET_HOURS: "",
  };
  serve = spawn(bin, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  serve.stdout.on("data", (d) => { logs += d; });
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("senda serve did not start: " + logs)), 30000);
    serve.stderr.on("data", (d) => {
      logs += d;
      const m = /msg=listening .*?addr=(\S+)/.exec(logs);
      if (m) { clearTimeout(timer); resolve("http://" + m[1]); }
    });
    serve.on("exit", (code) => reject(new Error(`senda serve exited ${code}: ${logs}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve.on("exit", r));
    serve.kill("SIGTERM");
    await exited;
  }
  twilio?.close();
  assert.ok(!logs.includes("camisa roja"), "a report's words reached senda's log");
});

test("staff open, edit, preview, publish and discard reports", async () => {
  const subscribers = ["+50257770001", "whatsapp:+50257770002"];
  for (const s of subscribers) {
    for (const m of ["ALTA", "2", "SI"]) await say(s, m);
  }
  const reporter = "+50257770100";
  for (const text of ["<b>hombre</b> con camisa roja, moto P-123", "no era nada"]) {
    for (const m of ["AVISAR", "1", "Mercado", "1", text]) await say(reporter, m);
    assert.match(await say(reporter, "1"), /Nadie sabr/);
  }

  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "es-GT", bypassCSP: true });
  const page = await context.newPage();
  page.on("console", (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) cspErrors.push(m.text()); });
  await page.goto(base + "/admin/entrar");
  await page.getByLabel("Clave de administración").fill(token);
  await page.getByRole("button", { name: "Entrar" }).click();
  await page.waitForURL(base + "/admin/");

  await page.getByRole("link", { name: "Reportes", exact: true }).click();
  const rows = page.locator("tbody tr", { hasText: "Cliente violento" });
  assert.equal(await rows.count(), 2);
  await page.screenshot({ path: path.join(shots, "20-reportes-phone.png"), fullPage: true });
  await axeClean(page, "the queue");
  await rows.first().getByRole("link").click();
  // The report is shown as text, never as markup.
  assert.match(await page.locator("dl.report").innerText(), /<b>hombre<\/b> con camisa roja/);
  assert.equal(await page.locator("dl.report b").count(), 0);

  await page.getByLabel("Texto en Español").fill("Alerta: hombre con camisa roja en moto P-123, zona del mercado. Cuídense.");
  await page.getByLabel("Texto en English").fill("Alert: man in a red shirt on motorbike P-123, market area. Take care.");
  await page.getByRole("button", { name: "Vista previa" }).click();
  await page.locator(".phone.lock").first().waitFor();
  assert.equal(await page.locator(".phone.lock").count(), 2);
  assert.match(await page.locator(".previews").last().innerText(), /Alert: man in a red shirt/);
  await page.screenshot({ path: path.join(shots, "21-reporte-vista-previa-phone.png"), fullPage: true });
  await axeClean(page, "a report with its preview");
  await page.getByRole("button", { name: "Publicar" }).click();
  await page.getByText("Publicado:").waitFor();

  const deadline = Date.now() + 15000;
  while (sent.length < subscribers.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500)); // nothing more comes
  const alerts = sent.filter((m) => /camisa roja|red shirt/.test(m.body || ""));
  assert.deepEqual(alerts.map((m) => m.to).sort(), ["+50257770001", "whatsapp:+50257770002"]);

  const left = page.locator("tbody tr", { hasText: "Cliente violento" });
  assert.equal(await left.count(), 1);
  await left.first().getByRole("link").click();
  await page.getByLabel("Razón").selectOption("not_a_warning");
  await page.getByRole("button", { name: "Descartar" }).click();
  await page.getByText("Descartado:").waitFor();
  assert.equal(await page.locator("tbody tr", { hasText: "Cliente violento" }).count(), 0);
  await page.getByText("No hay reportes abiertos.").waitFor();

  await page.getByRole("link", { name: "Registro", exact: true }).click();
  const trail = await page.locator("table").innerText();
  assert.match(trail, /publicó un reporte como alerta/);
  assert.match(trail, /descartó un reporte/);
  assert.ok(!/camisa|Mercado/.test(trail), "the audit trail holds a report's words");
  await context.close();
});

test("no Content-Security-Policy violations on the report pages", () => {
  assert.deepEqual(cspErrors, []);
});
