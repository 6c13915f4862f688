// Browser test of the web console as `senda serve` wires it: the real
// binary in development mode (embedded in-memory Redis, no Twilio), with
// SENDA_ADMIN_TOKENS and SENDA_SUBSCRIBER_KEY set. It checks what differs
// from consoledemo: the console mounted beside the bearer API under
// /admin, the real health checks, GET /admin/stats read with the console's
// session, a session refused for writing through the API, the bearer API
// unchanged, one audit trail for both; every page passes axe and logs no
// error (pagecheck.mjs), favicon included.
// Screenshots: 10-serve-inicio, 11-serve-avisos, 12-serve-registro.
//
// Run through run.sh, which builds senda and sets SENDA_BIN.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { chromium } from "playwright-core";
import { watch, check } from "./pagecheck.mjs";

const bin = process.env.SENDA_BIN;
const shots = process.env.SCREENSHOT_DIR || path.join(import.meta.dirname, "screenshots");
const token = "serve-test-" + randomBytes(12).toString("hex");

let serve, base, browser, logs = "";

before(async () => {
  assert.ok(bin, "SENDA_BIN must name the senda binary (run.sh builds it)");
  mkdirSync(shots, { recursive: true });
  // A clean environment: no SENDA_REDIS_URL (the embedded Redis), no Twilio.
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME || "/tmp",
    SENDA_ENV: "development", SENDA_ADDR: "127.0.0.1:0",
    SENDA_HASH_KEY: randomBytes(32).toString("hex"),
    SENDA_SUBSCRIBER_KEY: randomBytes(32).toString("base64"),
    SENDA_ADMIN_TOKENS: "programa:" + token,
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
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
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
  assert.ok(!logs.includes(token), "the admin token reached senda's log");
});

function tomorrowAt(hh) {
  const d = new Date(Date.now() - 6 * 3600e3 + 24 * 3600e3); // America/Guatemala, UTC-6
  return d.toISOString().slice(0, 10) + `T${hh}:00`;
}

test("the console as senda serve wires it", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "es-GT" });
  const page = await context.newPage();
  watch(page);

  // /admin (the bearer API's prefix) leads to the console's sign-in.
  await page.goto(base + "/admin");
  assert.match(page.url(), /\/admin\/entrar$/);
  await page.getByLabel("Clave de administración").fill(token);
  await page.getByRole("button", { name: "Entrar" }).click();
  await page.waitForURL(base + "/admin/");
  const checks = await page.locator(".checks").innerText();
  assert.match(checks, /Redis: Funciona/);
  assert.match(checks, /Contenido/);
  assert.match(checks, /Trabajadores de avisos/);
  assert.match(checks, /Twilio/);
  await check(page, "Inicio (serve)");
  await page.screenshot({ path: path.join(shots, "10-serve-inicio-phone.png"), fullPage: true });

  // Schedule a broadcast and cancel it, through the real store.
  await page.getByRole("link", { name: "Avisos", exact: true }).click();
  await page.getByLabel("Tema").selectOption({ index: 0 });
  await page.getByLabel("Texto en Español").fill("Jornada de salud el lunes en el Centro de Salud.");
  await page.getByLabel("Fecha y hora (hora local)").fill(tomorrowAt("09"));
  await page.getByRole("button", { name: "Programar aviso" }).click();
  await page.getByText("Aviso programado.").waitFor();
  assert.match(await page.locator("article.bc").first().innerText(), /Programado/);
  await check(page, "Avisos (serve)");
  await page.screenshot({ path: path.join(shots, "11-serve-avisos-phone.png"), fullPage: true });
  await page.locator("article.bc").first().getByText("Cancelar", { exact: true }).click();
  await page.getByRole("button", { name: "Sí, cancelar este aviso" }).click();
  await page.getByText("Aviso cancelado").waitFor();

  // The session reads the admin API (GET /admin/stats) but cannot write through it.
  const stats = await page.request.get(base + "/admin/stats");
  assert.equal(stats.status(), 200);
  const rep = await stats.json();
  assert.equal(rep.timezone, "America/Guatemala");
  assert.equal(rep.min_count, 5);
  assert.equal(rep.days.length, 30);
  const write = await page.request.post(base + "/admin/broadcasts", { data: { topic: "salud", text: { es: "x" } } });
  assert.equal(write.status(), 401);

  // The bearer API is as it was, and sees the console's actions in its audit trail.
  const auth = { Authorization: "Bearer " + token };
  const topics = await fetch(base + "/admin/topics", { headers: auth });
  assert.equal(topics.status, 200);
  const audit = await (await fetch(base + "/admin/audit", { headers: auth })).json();
  const actions = audit.audit.map((e) => e.action);
  for (const a of ["signin", "create", "cancel"]) assert.ok(actions.includes(a), `audit lacks ${a}: ${actions}`);
  assert.ok(audit.audit.every((e) => e.token === "programa"));
  assert.equal((await fetch(base + "/admin/stats")).status, 401);

  // The figures page and the simulator over the live pack.
  await page.getByRole("link", { name: "Estadísticas", exact: true }).click();
  await page.getByRole("heading", { name: "Estadísticas" }).waitFor();
  await check(page, "Estadísticas (serve)");
  await page.getByRole("link", { name: "Contenido", exact: true }).click();
  await page.getByLabel("Mensaje").fill("hola");
  await page.getByRole("button", { name: "Enviar", exact: true }).click();
  await page.locator(".transcript li.line").first().waitFor();
  await check(page, "Contenido (serve)");

  await page.getByRole("link", { name: "Registro", exact: true }).click();
  const trail = await page.locator("table").innerText();
  assert.match(trail, /creó un aviso/);
  assert.match(trail, /canceló un aviso/);
  assert.ok(!trail.includes(token));
  await check(page, "Registro (serve)");
  await page.screenshot({ path: path.join(shots, "12-serve-registro-phone.png"), fullPage: true });
  await context.close();
});
