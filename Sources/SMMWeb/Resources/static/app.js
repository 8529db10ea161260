// Optional comforts; every flow works without this file.
// 1. Category and service pickers submit themselves when changed.
// 2. The order form shows its charge as the customer types, with the server's rounding rule:
//    rate × quantity / 1000 rounded up to 0.00001 (flat price for package types), × runs.
(function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.name === "category") {
        var service = select.form.querySelector("select[name=service]");
        if (service) service.value = "";
      }
      select.form.submit();
    });
  });
  var form = document.querySelector("form.order-form");
  var output = document.getElementById("live-charge");
  if (!form || !output) return;
  var rate = BigInt(form.dataset.rateUnits || "0");
  var flat = form.dataset.flat === "1";
  var countField = form.dataset.countField;
  function positive(name) {
    var input = form.elements[name];
    if (!input || !/^\s*\d{1,15}\s*$/.test(input.value)) return null;
    return BigInt(input.value.trim());
  }
  function format(units) {
    var text = units.toString().padStart(6, "0");
    return text.slice(0, -5) + "." + text.slice(-5);
  }
  function update() {
    var quantity;
    if (countField) {
      var list = form.elements[countField];
      quantity = BigInt(list ? list.value.split(/\r?\n/).filter(function (l) { return l.trim() !== ""; }).length : 0);
    } else {
      quantity = positive("quantity");
    }
    var charge;
    if (flat) {
      charge = rate;
    } else if (quantity === null) {
      output.textContent = "—";
      return;
    } else {
      var runs = positive("runs");
      if (runs !== null && runs > 1n) quantity = quantity * runs;
      charge = (rate * quantity + 999n) / 1000n;
    }
    output.textContent = format(charge);
  }
  form.addEventListener("input", update);
  update();
})();
