// Browser test of Senda's web console: Debian's Chromium, headless, driven
// by playwright-core. It starts the consoledemo program (a real console on
// a real Redis, with a fake Twilio) and does what staff do: sign in, compose
// and schedule a broadcast, see it listed, cancel it, send a test, read the
// figures, talk to the simulator, read the audit trail, switch to English;
// and checks that a POST without a CSRF token is refused and that the pages
// break no Content-Security-Policy rule. Screenshots of each page, at phone
// and desktop widths, go to $SCREENSHOT_DIR (default ./screenshots).
//
// Run through run.sh, which builds consoledemo and sets CONSOLEDEMO.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const bin = process.env.CONSOLEDEMO;
const redisURL = process.env.SENDA_TEST_REDIS_URL || "redis://127.0.0.1:6379/0";
const shots = process.env.SCREENSHOT_DIR || path.join(import.meta.dirname, "screenshots");
const token = "browser-test-" + Math.random().toString(36).slice(2);
const testNumber = "+50255512345";

let demo, base, browser;
const cspErrors = [];

before(async () => {
  assert.ok(bin, "CONSOLEDEMO must name the consoledemo binary (run.sh builds it)");
  mkdirSync(shots, { recursive: true });
  demo = spawn(bin, ["-redis", redisURL, "-token", token], { stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  demo.stderr.on("data", (d) => { logs += d; });
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("consoledemo did not start: " + logs)), 30000);
    demo.stdout.on("data", (d) => { clearTimeout(timer); resolve(String(d).trim().replace(/\/admin\/$/, "")); });
    demo.on("exit", (code) => reject(new Error(`consoledemo exited ${code}: ${logs}`)));
  });
  demo.logs = () => logs;
  // launch() gives Chromium a fresh, empty profile of its own (the
  // --user-data-dir the machine notes ask for); it refuses one passed in.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo.on("exit", r));
    demo.kill("SIGTERM");
    await exited;
  }
  if (demo?.logs) {
    const logs = demo.logs();
    assert.ok(!logs.includes(token), "the admin token reached the log");
    assert.ok(!logs.includes(testNumber.slice(1)), "the test number reached the log");
  }
});

async function newPage(width, height) {
  const context = await browser.newContext({ viewport: { width, height }, locale: "es-GT" });
  const page = await context.newPage();
  page.on("console", (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) cspErrors.push(m.text()); });
  return page;
}

async function snap(page, name) {
  const w = page.viewportSize().width;
  await page.screenshot({ path: path.join(shots, `${name}-${w <= 500 ? "phone" : "desktop"}.png`), fullPage: true });
}

async function signIn(page) {
  await page.goto(base + "/admin/");
  assert.match(page.url(), /\/admin\/entrar$/);
  await page.getByLabel("Clave de administración").fill(token);
  await page.getByRole("button", { name: "Entrar" }).click();
  await page.waitForURL(base + "/admin/");
}

function tomorrowAt(hh) {
  // The picker takes local time of the line (America/Guatemala, UTC-6, no DST).
  const d = new Date(Date.now() - 6 * 3600e3 + 24 * 3600e3);
  return d.toISOString().slice(0, 10) + `T${hh}:00`;
}

test("staff use the console on a phone", async () => {
  const page = await newPage(390, 844);
  await page.goto(base + "/admin/");
  await snap(page, "01-entrar");

  // A wrong token is refused, and not shown back.
  await page.getByLabel("Clave de administración").fill("not-the-token");
  await page.getByRole("button", { name: "Entrar" }).click();
  await page.getByText("Esa clave no es válida").waitFor();
  assert.ok(!(await page.content()).includes("not-the-token"));

  await page.getByLabel("Clave de administración").fill(token);
  await page.getByRole("button", { name: "Entrar" }).click();
  await page.waitForURL(base + "/admin/");
  await page.getByRole("heading", { name: "¿Funciona todo?" }).waitFor();
  assert.match(await page.locator(".checks").innerText(), /Redis: Funciona/);
  await snap(page, "02-inicio");

  // Compose: the live count answers as the text is typed.
  await page.getByRole("link", { name: "Avisos", exact: true }).click();
  await page.getByLabel("Tema").selectOption({ index: 0 });
  const text = "Jornada de salud el lunes en el Centro de Salud, de 8 a 12. Gratis y confidencial.";
  await page.getByLabel("Texto en Español").fill(text);
  await page.locator("#count_es [data-out=sms]").filter({ hasText: /SMS: [1-9]\d* \/ 160 · GSM-7 · 1 partes/ }).waitFor();
  await page.locator("#count_es [data-out=wa]").filter({ hasText: /WhatsApp: [1-9]\d* caracteres/ }).waitFor();
  assert.match(await page.locator("[data-lang=es] [data-out=lock]").innerText(), /Jornada de salud/);
  await page.getByLabel("Fecha y hora (hora local)").fill(tomorrowAt("09"));
  await snap(page, "03-avisos-redactar");

  // A test to a number typed once: sent, and the number is not on the page after.
  await page.getByLabel("Número (con +502…)").fill(testNumber);
  await page.getByRole("button", { name: "Enviar prueba" }).click();
  await page.getByText("Prueba enviada").waitFor();
  assert.ok(!(await page.content()).includes(testNumber.slice(1)), "the test number is shown back");

  // Schedule it, see it in the list, cancel it.
  await page.getByLabel("Fecha y hora (hora local)").fill(tomorrowAt("09"));
  await page.getByRole("button", { name: "Programar aviso" }).click();
  await page.getByText("Aviso programado.").waitFor();
  assert.match(await page.locator("[role=status]").innerText(), /Entendí: .* 09:00/);
  const card = page.locator("article.bc").first();
  assert.match(await card.innerText(), /Programado/);
  await snap(page, "04-avisos-lista");
  await card.getByRole("button", { name: "Cancelar" }).click();
  await page.getByText("Aviso cancelado").waitFor();
  assert.match(await page.locator("article.bc").first().innerText(), /Cancelado/);

  // A typed time ("lunes 9:00") is understood in the line's zone too.
  await page.getByLabel("Texto en Español").fill("Recordatorio: prueba de VIH gratis el lunes.");
  await page.getByLabel("O escribe la fecha").fill("lunes 9:00");
  await page.getByRole("button", { name: "Vista previa" }).click();
  assert.match(await page.locator("[role=status]").innerText(), /Entendí: lunes .* 09:00/);

  // A WhatsApp template for people outside the 24 hours: its blanks get
  // fields once it is chosen, the preview fills in as they are typed, and
  // a blank left empty is refused in Spanish with the form kept.
  const blank1 = page.getByLabel("Valor para {{1}}");
  assert.equal(await blank1.isVisible(), false, "the template's fields show before it is chosen");
  await page.getByLabel("Plantilla de WhatsApp").selectOption({ label: "aviso_general (es)" });
  await blank1.fill("salud");
  await page.locator("fieldset.tplvars [data-out=tpl]").filter({ hasText: "Hay información nueva de salud para el {{2}}." }).waitFor();
  await page.getByRole("button", { name: "Programar aviso" }).click();
  await page.getByText("Falta el valor para {{2}}").waitFor();
  assert.equal(await page.getByLabel("Valor para {{1}}").inputValue(), "salud");
  await page.getByLabel("Valor para {{2}}").fill("lunes");
  await page.locator("fieldset.tplvars [data-out=tpllock]").filter({ hasText: "salud para el lunes" }).waitFor();
  await snap(page, "03b-avisos-plantilla");
  await page.getByRole("button", { name: "Programar aviso" }).click();
  await page.getByText("Aviso programado.").waitFor();
  assert.match(await page.locator("[role=status]").innerText(), /Entendí: lunes .* 09:00/);

  // The figures: charts, totals, and a CSV without hidden numbers.
  await page.getByRole("link", { name: "Estadísticas", exact: true }).click();
  await page.getByRole("heading", { name: "Estadísticas" }).waitFor();
  assert.ok(Number((await page.locator("#total-people").innerText()).trim()) >= 11);
  assert.ok(await page.locator("svg.chart").count() >= 6);
  await snap(page, "05-estadisticas");
  const csvHref = await page.getByRole("link", { name: "Descargar CSV" }).getAttribute("href");
  const csv = await (await page.request.get(base + csvHref)).text();
  assert.match(csv, /^date,people,messages/);
  assert.ok(!csv.includes("+502"), "a number in the CSV");

  // The simulator, as WhatsApp.
  await page.getByRole("link", { name: "Contenido", exact: true }).click();
  await page.getByLabel("Mensaje").fill("hola");
  await page.getByRole("button", { name: "Enviar", exact: true }).click();
  await page.locator(".transcript li.line").first().waitFor();
  await page.getByLabel("Mensaje").fill("1");
  await page.getByRole("button", { name: "Enviar", exact: true }).click();
  await page.locator(".transcript li.line").nth(1).waitFor();
  assert.ok((await page.locator(".transcript .line .bubble").nth(1).innerText()).length > 20);
  await snap(page, "06-contenido");

  // The audit trail names the token, never the token itself.
  await page.getByRole("link", { name: "Registro", exact: true }).click();
  const audit = await page.locator("table").innerText();
  assert.match(audit, /creó un aviso/);
  assert.match(audit, /canceló un aviso/);
  assert.match(audit, /envió una prueba/);
  assert.ok(!audit.includes(token));
  await snap(page, "07-registro");

  // A POST without the CSRF token is refused, even with the session cookie.
  const refused = await page.request.post(base + "/admin/avisos", { form: { topic: "salud", text_es: "sin csrf" } });
  assert.equal(refused.status(), 403);

  // English.
  await page.getByRole("link", { name: "English" }).click();
  await page.getByRole("link", { name: "Broadcasts" }).waitFor();
  await snap(page, "08-audit-en");

  // Sign out: the session is gone.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/admin\/entrar$/);
  await page.goto(base + "/admin/avisos");
  assert.match(page.url(), /\/admin\/entrar$/);
  await page.context().close();
});

test("pages on a desktop", async () => {
  const page = await newPage(1280, 900);
  await signIn(page);
  await snap(page, "02-inicio");
  for (const [link, name] of [["Avisos", "04-avisos-lista"], ["Estadísticas", "05-estadisticas"], ["Contenido", "06-contenido"], ["Registro", "07-registro"]]) {
    await page.getByRole("link", { name: link, exact: true }).click();
    await page.waitForLoadState("load");
    await snap(page, name);
  }
  await page.context().close();
});

test("no Content-Security-Policy violations", () => {
  assert.deepEqual(cspErrors, []);
});
