// Browser test of Senda's web console: Debian's Chromium, headless, driven
// by playwright-core. It starts the consoledemo program (a real console on
// a real Redis, with a fake Twilio) and does what staff do: sign in, compose
// and schedule a broadcast, see it listed, cancel it, send a test, read the
// figures, talk to the simulator, read the audit trail, switch to English;
// and checks that a POST without a CSRF token is refused. Every page, at
// phone and desktop widths, passes axe-core with no serious or critical
// violation and logs no error in the browser (pagecheck.mjs); each defect
// of issue 16's outside check has its own assertion below. Screenshots of
// each page go to $SCREENSHOT_DIR (default ./screenshots).
//
// Run through run.sh, which builds consoledemo and sets CONSOLEDEMO.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { watch, check, smallestChartText } from "./pagecheck.mjs";

const bin = process.env.CONSOLEDEMO;
const redisURL = process.env.SENDA_TEST_REDIS_URL || "redis://127.0.0.1:6379/0";
const shots = process.env.SCREENSHOT_DIR || path.join(import.meta.dirname, "screenshots");
const token = "browser-test-" + Math.random().toString(36).slice(2);
const testNumber = "+50255512345";

let demo, base, browser;

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
  watch(page);
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

const spanishDates = /\b(lunes|martes|miércoles|jueves|viernes|sábado|domingo|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|Programado|Enviando|Terminado|Cancelado|Entendí)\b/;

test("staff use the console on a phone", async () => {
  const page = await newPage(390, 844);
  await page.goto(base + "/admin/");
  await check(page, "Entrar");
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
  await check(page, "Inicio");
  assert.ok(await smallestChartText(page) >= 12, `Inicio's chart labels are ${await smallestChartText(page)} px on a phone`);
  await snap(page, "02-inicio");

  // Compose: the live count answers as the text is typed, «1 parte».
  await page.getByRole("link", { name: "Avisos", exact: true }).click();
  await check(page, "Avisos");
  await page.getByLabel("Tema").selectOption({ index: 0 });
  const text = "Jornada de salud el lunes en el Centro de Salud, de 8 a 12. Gratis y confidencial.";
  const sms = page.locator("#count_es [data-out=sms]");
  const warning = page.locator("#count_es [data-out=warning]");
  await page.getByLabel("Texto en Español").fill(text);
  await sms.filter({ hasText: /^SMS: [1-9]\d* \/ 160 · GSM-7 · 1 parte de SMS$/ }).waitFor();
  await page.locator("#count_es [data-out=wa]").filter({ hasText: /WhatsApp: [1-9]\d* caracteres/ }).waitFor();
  assert.match(await page.locator("[data-lang=es] [data-out=lock]").innerText(), /Jornada de salud/);

  // An emoji: SMS cannot carry it, and the count says so (SMS stays
  // GSM-7; the SMS preview shows the "?" it would become); the warning
  // goes once the emoji does.
  await page.getByLabel("Texto en Español").fill(text + " 😀");
  await warning.filter({ hasText: "El SMS no puede llevar 😀" }).waitFor();
  assert.match(await sms.innerText(), /GSM-7 · 1 parte de SMS/);
  assert.match(await page.locator("[data-lang=es] [data-out=smstext]").innerText(), /confidencial\. \?$/);
  await check(page, "Avisos with an emoji");
  await snap(page, "03c-avisos-emoji");
  await page.getByLabel("Texto en Español").fill(text);
  await warning.waitFor({ state: "hidden" });
  await page.getByLabel("Fecha y hora (hora local)").fill(tomorrowAt("09"));
  await snap(page, "03-avisos-redactar");

  // A test to a number typed once: sent once. The answer is a redirect,
  // so reloading the page sends nothing again; the text is kept, the
  // number is not.
  await page.getByLabel("Número (con +502…)").fill(testNumber);
  await page.getByRole("button", { name: "Enviar prueba" }).click();
  await page.getByText("Prueba enviada").waitFor();
  assert.match(page.url(), /\/admin\/avisos\?hecho=prueba$/);
  await page.reload();
  await page.getByText("Prueba enviada").waitFor();
  assert.equal(await page.getByLabel("Texto en Español").inputValue(), text);
  assert.ok(!(await page.content()).includes(testNumber.slice(1)), "the test number is shown back");
  await check(page, "Avisos after a test");

  // Schedule it: the page lands on the new broadcast's card, which says
  // so, not 2,000 px above it.
  await page.getByLabel("Fecha y hora (hora local)").fill(tomorrowAt("09"));
  await page.getByRole("button", { name: "Programar aviso" }).click();
  await page.getByText("Aviso programado.").waitFor();
  const card = page.locator("article.bc").first();
  assert.match(await card.locator("[role=status]").innerText(), /Aviso programado\. Entendí: .* 09:00/);
  assert.match(await card.innerText(), /Programado/);
  const box = await card.boundingBox();
  assert.ok(box.y >= 0 && box.y < 844 - 200, `the new broadcast's card is at ${box.y} px, not on screen`);
  assert.ok(await card.locator("[role=status]").isVisible() && (await card.locator("[role=status]").boundingBox()).y < 844 - 100);
  await check(page, "Avisos after scheduling");
  await snap(page, "04-avisos-lista");
  await page.screenshot({ path: path.join(shots, "04c-avisos-programado-pantalla-phone.png") }); // what the phone shows

  // «Cancelar» asks first, naming the broadcast; only the answer cancels.
  await card.getByText("Cancelar", { exact: true }).click();
  const confirm = card.getByRole("button", { name: "Sí, cancelar este aviso" });
  await confirm.waitFor();
  assert.match(await card.innerText(), /¿Cancelar el aviso «Salud» de .* 09:00\? Lo que no salió ya no saldrá\./);
  assert.match(await card.innerText(), /Programado/);
  await check(page, "Avisos, cancel asked");
  await snap(page, "04b-avisos-cancelar");
  await confirm.click();
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
  await check(page, "Avisos with a template");
  await snap(page, "03b-avisos-plantilla");
  await page.getByRole("button", { name: "Programar aviso" }).click();
  await page.getByText("Aviso programado.").waitFor();
  assert.match(await page.locator("[role=status]").innerText(), /Entendí: lunes .* 09:00/);

  // The figures: charts with labels readable on a phone, totals, and a
  // CSV without hidden numbers.
  await page.getByRole("link", { name: "Estadísticas", exact: true }).click();
  await page.getByRole("heading", { name: "Estadísticas" }).waitFor();
  assert.ok(Number((await page.locator("#total-people").innerText()).trim()) >= 11);
  assert.ok(await page.locator("svg.chart").count() >= 6);
  assert.ok(await smallestChartText(page) >= 12, `chart labels are ${await smallestChartText(page)} px on a phone`);
  await check(page, "Estadísticas");
  await snap(page, "05-estadisticas");
  const csvHref = await page.getByRole("link", { name: "Descargar CSV" }).getAttribute("href");
  const csv = await (await page.request.get(base + csvHref)).text();
  assert.match(csv, /^date,people,messages/);
  assert.ok(!csv.includes("+502"), "a number in the CSV");

  // The simulator, as WhatsApp; the size table opened (it scrolls sideways).
  await page.getByRole("link", { name: "Contenido", exact: true }).click();
  await page.getByLabel("Mensaje").fill("hola");
  await page.getByRole("button", { name: "Enviar", exact: true }).click();
  await page.locator(".transcript li.line").first().waitFor();
  await page.getByLabel("Mensaje").fill("1");
  await page.getByRole("button", { name: "Enviar", exact: true }).click();
  await page.locator(".transcript li.line").nth(1).waitFor();
  assert.ok((await page.locator(".transcript .line .bubble").nth(1).innerText()).length > 20);
  await page.getByText("Tamaño de cada respuesta").click();
  await check(page, "Contenido");
  await snap(page, "06-contenido");

  // The audit trail names the token, never the token itself; one test
  // was sent, whatever the reload; every column is on a phone's screen.
  await page.getByRole("link", { name: "Registro", exact: true }).click();
  const audit = await page.locator("table").innerText();
  assert.match(audit, /creó un aviso/);
  assert.match(audit, /canceló un aviso/);
  assert.equal(audit.match(/envió una prueba/g)?.length, 1, "the test was sent again on reload");
  assert.ok(!audit.includes(token));
  const detail = await page.locator("td.detail").first().boundingBox();
  assert.ok(detail.x >= 0 && detail.x + detail.width <= 390, `«Detalle» is off-screen: ${JSON.stringify(detail)}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "the page scrolls sideways");
  await check(page, "Registro");
  await snap(page, "07-registro");

  // A POST without the CSRF token is refused, even with the session cookie.
  const refused = await page.request.post(base + "/admin/avisos", { form: { topic: "salud", text_es: "sin csrf" } });
  assert.equal(refused.status(), 403);

  // English: dates, states and notices too.
  await page.getByRole("link", { name: "English" }).click();
  await page.getByRole("link", { name: "Broadcasts" }).waitFor();
  assert.doesNotMatch(await page.locator("main").innerText(), spanishDates);
  await check(page, "Audit trail (English)");
  await snap(page, "08-audit-en");
  await page.getByRole("link", { name: "Home", exact: true }).click();
  assert.match(await page.locator("main h2").first().innerText(), /^Today: (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d+ [A-Z][a-z]+ 20\d\d$/);
  await page.getByRole("link", { name: "Broadcasts", exact: true }).click();
  const list = await page.locator("main").innerText();
  assert.match(list, /Sends: (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d+ [A-Z][a-z]+ 20\d\d, 09:00/);
  assert.match(list, /Scheduled/);
  assert.doesNotMatch(list, spanishDates);
  await page.getByLabel("Text in English").fill("Health day on Monday 😀");
  await page.locator("#count_en [data-out=sms]").filter({ hasText: /^SMS: \d+ \/ 160 · GSM-7 · 1 SMS part$/ }).waitFor();
  await page.locator("#count_en [data-out=warning]").filter({ hasText: "SMS cannot carry 😀" }).waitFor();
  await check(page, "Broadcasts (English)");
  await snap(page, "09-avisos-en");

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
  await check(page, "Inicio");
  await snap(page, "02-inicio");
  for (const [link, name] of [["Avisos", "04-avisos-lista"], ["Estadísticas", "05-estadisticas"], ["Contenido", "06-contenido"], ["Registro", "07-registro"]]) {
    await page.getByRole("link", { name: link, exact: true }).click();
    await page.waitForLoadState("load");
    if (link === "Contenido") await page.getByText("Tamaño de cada respuesta").click();
    await check(page, link);
    await snap(page, name);
  }
  const detail = await page.locator("td.detail").first().boundingBox();
  assert.ok(detail.x + detail.width <= 1280, "«Detalle» is off-screen on a desktop");
  await page.context().close();
});

// Issue 18: anyone who knows the console's address must not be able to
// lock the staff out. Fifteen wrong tokens from this address are answered
// slowly, saying to wait; the right one still gets in.
test("wrong tokens never lock out the right one", async () => {
  const page = await newPage(390, 844);
  await page.goto(base + "/admin/entrar");
  // Fourteen at once, with the sign-in form's token and cookie, then the
  // fifteenth through the form.
  const csrf = await page.locator("input[name=csrf]").inputValue();
  const answers = await Promise.all(Array.from({ length: 14 }, (_, i) =>
    page.request.post(base + "/admin/entrar", { form: { csrf, token: "guess-" + i }, maxRedirects: 0 })));
  const statuses = answers.map((r) => r.status());
  assert.ok(statuses.every((s) => s === 401 || s === 429), `wrong tokens answered ${statuses}`);
  assert.ok(statuses.filter((s) => s === 429).length >= 4, `too few of 15 wrong tokens were slowed: ${statuses}`);
  await page.reload(); // the answers set a new sign-in cookie: a fresh form
  await page.getByLabel("Clave de administración").fill("guess-15");
  await page.getByRole("button", { name: "Entrar" }).click();
  assert.match(await page.locator("[role=alert]").innerText(), /espera \d+ minutos.*La clave correcta sigue funcionando/);
  await check(page, "Entrar, slowed");
  await snap(page, "01b-entrar-espera");
  await page.getByLabel("Clave de administración").fill(token);
  await page.getByRole("button", { name: "Entrar" }).click();
  await page.waitForURL(base + "/admin/");
  await page.getByRole("heading", { name: "¿Funciona todo?" }).waitFor();
  await page.context().close();
});
