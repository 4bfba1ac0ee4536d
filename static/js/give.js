// The give page's total and the thank-you page's share button, as progressive enhancement: the
// pages work without this script (the server computes the same figures on submit). The card fee
// is events.money.fee_cover_cents and amounts are read like events.money.cents_parse and written
// like cents_format, to the cent; the numbers come from the form's data- attributes.
(function () {
  "use strict";

  function parseCents(text, strip) {
    var s = text.trim();
    var i = 0;
    while (i < s.length && strip.indexOf(s[i]) >= 0) i++;
    s = s.slice(i).trim();
    if (/^\d+,\d{1,2}$/.test(s)) s = s.replace(",", ".");
    else if (/^\d{1,3}(,\d{3})+(\.\d{0,2})?$/.test(s)) s = s.replace(/,/g, "");
    if (!/^(\d+(\.\d{0,2})?|\.\d{1,2})$/.test(s)) return null;
    var parts = s.split(".");
    var whole = parts[0] || "0";
    if (whole.replace(/^0+/, "").length > 12) return null; // beyond any gift, like the server
    var cents = BigInt(whole) * 100n + BigInt(((parts[1] || "") + "00").slice(0, 2));
    return cents >= 100000000000000n ? null : cents;
  }

  function feeCover(amount, bp, fixed) {
    if (amount <= 0n) return 0n;
    var numerator = (amount + fixed) * 10000n;
    var denominator = 10000n - bp;
    return (numerator + denominator - 1n) / denominator - amount; // ceiling division
  }

  function format(cents, symbol, wholeIfRound) {
    var whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = (cents % 100n).toString().padStart(2, "0");
    return symbol + whole + (wholeIfRound && rest === "00" ? "" : "." + rest);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }

  function givePage(form) {
    var d = form.dataset;
    var bp = BigInt(d.feeBp), fixed = BigInt(d.feeFixed);
    var custom = form.querySelector("input[name=custom]");
    var cover = form.querySelector("input[name=cover_fee]");
    var presets = form.querySelectorAll("input[name=preset]");
    var button = form.querySelector(".give-button");
    var total = document.getElementById("give-total");
    var feeLine = document.getElementById("fee-line");
    var example = feeLine.textContent;

    function chosen() {
      if (custom.value.trim()) return parseCents(custom.value, d.strip);
      var checked = form.querySelector("input[name=preset]:checked");
      return checked ? BigInt(checked.value) : null;
    }

    function update() {
      var amount = chosen();
      if (!amount) {
        button.textContent = d.givePlain;
        total.textContent = d.totalNone;
        feeLine.textContent = example;
        return;
      }
      var fee = feeCover(amount, bp, fixed);
      var values = { amount: format(amount, d.symbol), fee: format(fee, d.symbol) };
      var charged = cover.checked ? amount + fee : amount;
      button.textContent = fill(d.give, { amount: format(charged, d.symbol, true) });
      total.textContent = fill(cover.checked ? d.totalCovered : d.totalPlain, values);
      feeLine.textContent = fill(d.feeOn, values);
    }

    presets.forEach(function (preset) {
      preset.addEventListener("change", function () {
        custom.value = ""; // a typed amount would win over the preset on submit
        update();
      });
    });
    custom.addEventListener("input", function () {
      if (custom.value.trim()) presets.forEach(function (p) { p.checked = false; });
      update();
    });
    cover.addEventListener("change", update);
    window.addEventListener("pageshow", update); // back from the payment page: choices restored
    update();
  }

  function shareButton(link) {
    if (!navigator.share) return; // the link itself is the fallback
    link.addEventListener("click", function (event) {
      event.preventDefault();
      navigator
        .share({ title: link.dataset.title, text: link.dataset.text, url: link.href })
        .catch(function () {}); // the donor closed the share sheet
    });
  }

  if (typeof document === "undefined") {
    // Not a page: the tests compare these with events.money under Node.
    module.exports = { parseCents: parseCents, feeCover: feeCover, format: format };
    return;
  }
  var form = document.querySelector("form.give-form");
  if (form) givePage(form);
  document.querySelectorAll("a.share-link").forEach(shareButton);
})();
