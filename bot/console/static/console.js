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
    // The lines come in the page's language from the server, which counts
    // with the functions the sender uses.
    var sms = block.querySelector("[data-out=sms]");
    sms.textContent = m.sms_line;
    sms.classList.toggle("warn", m.warning !== "");
    block.querySelector("[data-out=wa]").textContent = m.wa_line;
    var warning = block.querySelector("[data-out=warning]");
    warning.hidden = m.warning === "";
    warning.textContent = m.warning;
    block.querySelector("[data-out=lock]").textContent = m.lock_screen;
    block.querySelector("[data-out=whatsapp]").textContent = m.whatsapp;
    block.querySelector("[data-out=smstext]").textContent = m.sms;
    var previews = block.querySelector(".previews");
    if (previews) { previews.hidden = m.units === 0; }
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
  // WhatsApp template: show the chosen template's fields (the others are
  // disabled, so they are not sent) and fill its preview as staff type.
  var select = form.querySelector("select[name=template]");
  var sets = form.querySelectorAll("fieldset.tplvars");
  function fill(set) {
    var text = set.getAttribute("data-body").replace(/\{\{\s*([0-9A-Za-z_]+)\s*\}\}/g, function (m, k) {
      var input = set.querySelector("input[data-var=\"" + k + "\"]");
      var v = input ? input.value.trim() : "";
      return v !== "" ? v : m;
    });
    var lock = text.replace(/\n/g, " ");
    if (lock.length > 90) { lock = lock.slice(0, 89) + "…"; }
    var out = set.querySelector("[data-out=tpl]");
    if (out) { out.textContent = text; }
    var lockOut = set.querySelector("[data-out=tpllock]");
    if (lockOut) { lockOut.textContent = lock; }
  }
  function choose() {
    sets.forEach(function (set) {
      var on = select !== null && set.getAttribute("data-template") === select.value;
      set.hidden = !on;
      set.disabled = !on;
    });
  }
  if (select) { select.addEventListener("change", choose); choose(); }
  sets.forEach(function (set) {
    set.addEventListener("input", function () { fill(set); });
  });
  form.querySelectorAll("textarea[data-measure]").forEach(function (area) {
    area.addEventListener("input", function () {
      var k = area.id;
      clearTimeout(timers[k]);
      timers[k] = setTimeout(function () { measure(area); }, 250);
    });
  });
})();
