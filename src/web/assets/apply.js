// The application form, with a script: the fields an MRZ holds fill in as it is pasted or typed.
// Without this script the "fill in from the MRZ" button asks the server for the same reading.
(function () {
  "use strict";
  var form = document.getElementById("apply-form");
  if (!form || !window.fetch) { return; }
  var mrz = form.elements.namedItem("document.mrz");
  var status = document.getElementById("mrz-status");
  var filledByScript = {};
  var lastRead = "";
  var timer = null;

  // A zone is complete when it has 2 lines of 44 characters (passport) or 3 of 30 (ID card).
  function complete(text) {
    var lines = text.toUpperCase().split(/\r\n|\r|\n/).map(function (l) { return l.trim(); })
      .filter(function (l) { return l.length > 0; });
    var all = function (n) { return lines.every(function (l) { return l.length === n; }); };
    return (lines.length === 2 && all(44)) || (lines.length === 3 && all(30));
  }

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function read() {
    var text = mrz.value;
    if (!complete(text) || text === lastRead) { return; }
    lastRead = text;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-mrz-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (answer) {
      if (!answer) { return; }
      if (answer.errors.length > 0) {
        say(answer.errors.map(function (e) { return e.message; }).join(" "));
        return;
      }
      Object.keys(answer.fields).forEach(function (name) {
        var input = form.elements.namedItem(name);
        if (!input) { return; }
        // A field the reader typed is kept; the server says where it disagrees with the MRZ.
        if (input.value.trim() === "" || filledByScript[name]) {
          input.value = answer.fields[name];
          filledByScript[name] = true;
        }
      });
      say(status ? status.getAttribute("data-filled") : "");
    }).catch(function () {
      // Offline or refused: the button still sends the form to be filled in by the server.
    });
  }

  if (mrz) {
    mrz.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(read, 200);
    });
  }
  form.addEventListener("input", function (event) {
    if (event.target !== mrz && event.target.name) { delete filledByScript[event.target.name]; }
  });
}());
