// Senda console: live character count, SMS segments and preview while a
// broadcast is typed. The server measures with the same functions the
// worker sends with; this file only asks it and shows the answer.
"use strict";
(function () {
  var form = document.getElementById("compose");
  if (!form || !window.fetch) { return; }
  var csrf = form.querySelector("input[name=csrf]").value;
  var action = form.getAttribute("action") + "/medir";
  var timers = {};
  function show(block, m) {
    var sms = block.querySelector("[data-out=sms]");
    var parts = sms.textContent.split(":");
    var label = parts[0];
    sms.textContent = label + ": " + m.units + " / " + m.budget + " · " + m.encoding + " · " + m.segments + " " +
      (document.documentElement.lang === "en" ? "SMS parts" : "partes de SMS");
    var wa = block.querySelector("[data-out=wa]");
    wa.textContent = wa.textContent.split(":")[0] + ": " + m.wa_chars + " " +
      (document.documentElement.lang === "en" ? "characters" : "caracteres");
    block.querySelector("[data-out=lock]").textContent = m.lock_screen;
    block.querySelector("[data-out=whatsapp]").textContent = m.whatsapp;
    block.querySelector("[data-out=smstext]").textContent = m.sms;
    var previews = block.querySelector(".previews");
    if (previews) { previews.hidden = false; }
    sms.classList.toggle("warn", m.units > m.budget || m.unmapped !== "");
  }
  function measure(area) {
    var block = area.closest(".textblock");
    var body = new URLSearchParams();
    body.set("lang", area.getAttribute("data-measure"));
    body.set("text", area.value);
    fetch(action, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (m) { if (m) { show(block, m); } })
      .catch(function () {});
  }
  form.querySelectorAll("textarea[data-measure]").forEach(function (area) {
    area.addEventListener("input", function () {
      var k = area.id;
      clearTimeout(timers[k]);
      timers[k] = setTimeout(function () { measure(area); }, 250);
    });
  });
})();
