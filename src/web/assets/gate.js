// The gate scanner page: an officer logs in (or the page holds its gate's device token), scans
// with a keyboard-wedge scanner or the camera, and reads the decision from a metre away. The
// service decides while it answers; when it does not, the page decides from the signed gate
// bundle (gate-rules.js), queues every scan in IndexedDB with its nonce, and uploads the queue
// with POST /api/v1/scans/batch when the service answers again.
"use strict";

(function () {
  var app = document.getElementById("gate-app");
  if (!app) { return; }
  var messages = JSON.parse(document.getElementById("gate-messages").textContent);
  var say = function (id) { return messages[id] || id; };

  var SAME_SCAN_MS = 3000;     // the same token again within this is one scan
  var WEDGE_PAUSE_MS = 80;     // a scanner that sends no Enter: this long without a key ends a scan
  var SYNC_EVERY_MS = 60000;   // the bundle is fetched again this often
  var PROBE_EVERY_MS = 5000;   // while offline, the service is asked this often
  var BATCH = 500;             // items an upload carries at most

  var state = {
    gateId: localStorage.getItem("bp-gate") || "",
    side: localStorage.getItem("bp-gate-side") || "",
    officer: localStorage.getItem("bp-officer") || "",
    accessToken: sessionStorage.getItem("bp-access") || "",
    deviceToken: "",
    online: navigator.onLine,
    bundle: null,
    bundleFetchedAt: 0,
    last: { token: "", at: 0 },
    uploading: false
  };

  // IndexedDB: the queue of scans not yet uploaded, what this gate admitted since the bundle,
  // the bundle and the device token.
  var dbReady = new Promise(function (resolve, reject) {
    var open = indexedDB.open("borderpass-gate", 1);
    open.onupgradeneeded = function () {
      var db = open.result;
      db.createObjectStore("queue", { keyPath: "nonce" });
      db.createObjectStore("crossings", { autoIncrement: true });
      db.createObjectStore("kept");
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  function store(name, mode, work) {
    return dbReady.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  var put = function (name, value, key) {
    return store(name, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
  };
  var all = function (name) { return store(name, "readonly", function (s) { return s.getAll(); }); };
  var get = function (name, key) { return store(name, "readonly", function (s) { return s.get(key); }); };
  var remove = function (name, key) { return store(name, "readwrite", function (s) { return s.delete(key); }); };
  var clear = function (name) { return store(name, "readwrite", function (s) { return s.clear(); }); };

  // What the officer sees at all times: online or not, scans waiting, the bundle's age.
  function showState() {
    return all("queue").then(function (queue) {
      document.getElementById("pending-count").textContent = String(queue.length);
      var connection = document.getElementById("connection-state");
      connection.textContent = state.online ? say("status-online") : say("status-offline");
      connection.setAttribute("data-online", state.online ? "true" : "false");
      var age = document.getElementById("bundle-age");
      if (state.bundle) {
        var minutes = Math.floor((Date.now() / 1000 - Date.parse(state.bundle.issued_at) / 1000) / 60);
        age.textContent = say("bundle-age").replace("{minutes}", String(Math.max(0, minutes)));
      } else {
        age.textContent = say("bundle-none");
      }
    });
  }

  function authorization() {
    var bearer = state.deviceToken || state.accessToken;
    return bearer ? { "Authorization": "Bearer " + bearer } : {};
  }

  function api(method, path, body, bearer) {
    var headers = { "Accept": "application/json" };
    var auth = bearer ? { "Authorization": "Bearer " + bearer } : authorization();
    Object.keys(auth).forEach(function (k) { headers[k] = auth[k]; });
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store"
    });
  }

  // The bundle: fetched, verified against the published bundle keys, kept.
  function syncBundle() {
    if (!state.gateId) { return Promise.resolve(); }
    return Promise.all([
      api("GET", "/.well-known/jwks.json").then(function (r) { return r.ok ? r.json() : null; }),
      api("GET", "/api/v1/gates/" + encodeURIComponent(state.gateId) + "/bundle").then(function (r) {
        return r.ok ? r.text() : null;
      })
    ]).then(function (got) {
      if (!got[0] || !got[1]) { return null; }
      return GateRules.openBundle(got[1], got[0]);
    }).then(function (bundle) {
      if (!bundle || bundle.gate_id !== state.gateId) { return; }
      state.bundle = bundle;
      state.online = true;
      return put("kept", bundle, "bundle").then(function () {
        // Crossings the new bundle already holds are dropped from what this gate remembers.
        return all("crossings");
      }).then(function (crossings) {
        var issued = Date.parse(bundle.issued_at);
        var newer = crossings.filter(function (c) { return c.at > issued; });
        return clear("crossings").then(function () {
          return Promise.all(newer.map(function (c) { return put("crossings", c); }));
        });
      });
    }).catch(function () {
      state.online = false;
    }).then(showState);
  }

  // The colour and text of a result, full screen until the next scan.
  function showResult(result, offline) {
    var panel = document.getElementById("scan-result");
    var stale = offline && (!state.bundle || Date.now() > Date.parse(state.bundle.fresh_until));
    var colour = result.decision === "deny" ? "red" : (result.flags.length > 0 || stale ? "amber" : "green");
    panel.setAttribute("data-decision", result.decision);
    panel.setAttribute("data-reason", result.reason || "");
    panel.setAttribute("data-colour", colour);
    panel.setAttribute("data-offline", offline ? "true" : "false");
    document.getElementById("result-headline").textContent =
      say(result.decision === "admit" ? "result-admit" : "result-deny");
    document.getElementById("result-reason").textContent = result.reason
      ? say("reason-" + result.reason) + (result.detail ? " — " + result.detail : "")
      : result.flags.map(function (f) { return say("flag-" + f); }).join(" · ");
    document.getElementById("override-open").hidden = !(result.decision === "deny" && !offline &&
      state.accessToken && result.token);
    lastDenied = result.decision === "deny" ? { token: result.token, direction: result.direction } : null;
    var holder = result.holder || { name: "", nationality: "", birthDate: "" };
    document.getElementById("result-name").textContent = holder.name;
    document.getElementById("result-nationality").textContent = holder.nationality;
    document.getElementById("result-birth-date").textContent = holder.birthDate;
    document.getElementById("result-offline").hidden = !offline;
    panel.hidden = false;
    beep(colour);
  }

  var audio = null;
  // A distinct sound for each colour: rising for green, low for red, two short for amber.
  function beep(colour) {
    try {
      audio = audio || new AudioContext();
      var tones = { green: [660, 880], red: [220, 180], amber: [520, 520] }[colour];
      tones.forEach(function (frequency, i) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = frequency;
        osc.type = colour === "red" ? "square" : "sine";
        gain.gain.value = 0.2;
        osc.connect(gain).connect(audio.destination);
        var start = audio.currentTime + i * 0.16;
        osc.start(start);
        osc.stop(start + 0.13);
      });
    } catch (e) { /* no sound: the colour still says it */ }
  }

  function nonce() { return crypto.randomUUID(); }

  // One scan: asked of the service while it answers, else decided here and queued.
  function scan(token, direction) {
    var started = performance.now();
    var item = {
      nonce: nonce(),
      token: token,
      gate_id: state.gateId,
      direction: direction,
      scanned_at: new Date().toISOString()
    };
    var refused = null;
    var online = state.online && state.accessToken
      ? api("POST", "/api/v1/scans", item, state.accessToken).then(function (r) {
        if (r.status === 401) { state.accessToken = ""; askLogin(); throw new Error("session ended"); }
        if (r.status >= 500 || r.status === 429) { throw new Error("service " + r.status); }
        return r.json().then(function (answer) {
          if (!r.ok) {
            // The service answered and refused the scan itself (another gate, a bad clock):
            // said as it is, never decided here instead.
            refused = answer;
            throw new Error("refused " + r.status);
          }
          return answer;
        });
      })
      : Promise.reject(new Error("offline"));
    return online.then(function (answer) {
      // The holder as the token names them, online as offline: what the officer compares.
      var jws = GateRules.splitJws(token);
      var holder = jws ? GateRules.holderOf(jws.payload) : null;
      var result = { decision: answer.decision, reason: answer.reason, flags: answer.flags, holder: holder,
        token: token, direction: direction };
      if (answer.decision === "admit" && answer.permit) {
        put("crossings", { permitId: answer.permit.permit_id, direction: direction, side: state.side,
          decision: "admit", at: Date.now() });
      }
      showResult(result, false);
      report(performance.now() - started, false);
    }, function () {
      if (refused) {
        showResult({ decision: "deny", reason: "refused", flags: [], holder: null,
          detail: refused.detail || refused.title || "" }, false);
        return null;
      }
      state.online = false;
      return decideOffline(item, started);
    }).then(showState);
  }

  function decideOffline(item, started) {
    if (!state.bundle) {
      showResult({ decision: "deny", reason: "no_bundle", flags: [], holder: null }, true);
      return Promise.resolve();
    }
    return all("crossings").then(function (crossings) {
      return GateRules.decide(item.token, item.direction, state.side, Date.now() / 1000, state.bundle, crossings);
    }).then(function (result) {
      var expiredBundle = Date.now() > Date.parse(state.bundle.valid_until);
      var confirm = result.decision === "admit" && expiredBundle
        ? confirmAdmission()
        : Promise.resolve(result.decision === "admit");
      return confirm.then(function (admitted) {
        var queued = {
          nonce: item.nonce,
          token: item.token,
          gate_id: item.gate_id,
          direction: item.direction,
          scanned_at: item.scanned_at,
          device_decision: admitted ? "admit" : "deny",
          officer: state.officer,
          bundle_version: state.bundle.version
        };
        if (!admitted) { queued.device_reason = result.reason || "denied_at_gate"; }
        var kept = put("queue", queued);
        if (admitted && result.permitId) {
          kept = kept.then(function () {
            return put("crossings", { permitId: result.permitId, direction: item.direction, side: state.side,
              decision: "admit", at: Date.now() });
          });
        }
        return kept.then(function () {
          if (!admitted && result.decision === "admit") {
            result = { decision: "deny", reason: "denied_at_gate", flags: [], holder: result.holder };
          }
          showResult(result, true);
          report(performance.now() - started, true);
        });
      });
    });
  }

  // Past the bundle's valid_until the officer confirms each admission.
  function confirmAdmission() {
    var dialog = document.getElementById("confirm-admission");
    return new Promise(function (resolve) {
      dialog.returnValue = "";
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "admit");
        tokenInput.focus();
      });
      dialog.showModal();
    });
  }

  // The time from the scan's last key to the result, kept for the officer's screen and tests.
  function report(ms, offline) {
    app.setAttribute("data-last-ms", ms.toFixed(1));
    app.setAttribute("data-last-offline", offline ? "true" : "false");
  }

  // Uploads the queue, 500 at a time; says what the service made of it (conflicts included).
  function upload() {
    if (state.uploading || !state.online) { return Promise.resolve(); }
    state.uploading = true;
    return all("queue").then(function (queue) {
      if (queue.length === 0) { return null; }
      queue.sort(function (a, b) { return a.scanned_at < b.scanned_at ? -1 : 1; });
      var batch = queue.slice(0, BATCH);
      return api("POST", "/api/v1/scans/batch", { scans: batch }).then(function (r) {
        if (!r.ok) { throw new Error("upload " + r.status); }
        return r.json();
      }).then(function (answer) {
        // Every item has its answer: recorded, replayed, or refused for its fields (which no
        // retry mends, and which is shown).
        showUpload(answer.results);
        return Promise.all(answer.results.map(function (x) { return remove("queue", x.nonce); }));
      });
    }).then(function (uploaded) {
      state.uploading = false;
      if (uploaded) { return syncBundle().then(upload); }
    }, function () {
      state.uploading = false;
      state.online = false;
    }).then(showState);
  }

  function showUpload(results) {
    var list = document.getElementById("upload-report");
    results.forEach(function (x) {
      if (!x.conflict_id && x.status !== "rejected") { return; }
      var line = document.createElement("li");
      line.textContent = x.conflict_id
        ? say("upload-conflict").replace("{kind}", say("reason-" + (x.reason || "")))
        : say("upload-rejected");
      line.setAttribute("data-conflict", x.conflict_id || "");
      list.insertBefore(line, list.firstChild);
    });
    list.hidden = list.children.length === 0;
  }

  // The token input keeps focus; a scanner's keys are read by their position.
  var tokenInput = document.getElementById("scan-token");
  var typed = "";
  var pause = null;

  function finishScan() {
    clearTimeout(pause);
    document.getElementById("scan-result").hidden = true;
    var token = (typed || tokenInput.value).trim();
    typed = "";
    tokenInput.value = "";
    if (!token) { return; }
    var now = Date.now();
    if (token === state.last.token && now - state.last.at < SAME_SCAN_MS) { return; }
    state.last = { token: token, at: now };
    var direction = document.querySelector("input[name=direction]:checked").value;
    scan(token, direction).then(upload);
  }

  tokenInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      finishScan();
      return;
    }
    var ch = GateRules.characterOfKey(event);
    if (ch !== null && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      typed += ch;
      tokenInput.value = typed;
      clearTimeout(pause);
      pause = setTimeout(function () {
        if (typed.split(".").length === 3) { finishScan(); }
      }, WEDGE_PAUSE_MS);
    }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("button, input, select, dialog, a")) { tokenInput.focus(); }
  });

  function askLogin() {
    document.getElementById("gate-login").hidden = false;
    document.getElementById("f-username").value = state.officer;
    document.getElementById(state.officer ? "f-password" : "f-username").focus();
  }

  function showScanner() {
    document.getElementById("gate-login").hidden = true;
    document.getElementById("gate-scanner").hidden = false;
    tokenInput.focus();
  }

  // Logging in: the officer's access token for online scans and uploads; the gate, remembered.
  document.getElementById("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var problem = document.getElementById("login-problem");
    var gate = form.elements.namedItem("gate_id");
    var username = form.elements.namedItem("username").value.trim();
    api("POST", "/api/v1/auth/login", {
      username: username,
      password: form.elements.namedItem("password").value
    }, "").then(function (r) {
      if (!r.ok) {
        problem.querySelector("p").textContent = say(r.status === 429 ? "login-throttled" : "login-failed");
        problem.hidden = false;
        return;
      }
      return r.json().then(function (answer) {
        problem.hidden = true;
        form.elements.namedItem("password").value = "";
        state.accessToken = answer.access_token;
        state.officer = username;
        state.gateId = gate.value;
        state.side = gate.selectedOptions[0].getAttribute("data-side");
        state.online = true;
        sessionStorage.setItem("bp-access", state.accessToken);
        localStorage.setItem("bp-officer", state.officer);
        localStorage.setItem("bp-gate", state.gateId);
        localStorage.setItem("bp-gate-side", state.side);
        showScanner();
        return syncBundle().then(upload);
      });
    }).catch(function () {
      problem.querySelector("p").textContent = say("login-offline");
      problem.hidden = false;
    });
  });

  window.addEventListener("online", function () { state.online = true; upload(); });
  window.addEventListener("offline", function () { state.online = false; showState(); });
  // Every minute online; every few seconds while offline, to notice the service is back.
  var lastSync = 0;
  setInterval(function () {
    var every = state.online ? SYNC_EVERY_MS : PROBE_EVERY_MS;
    if (Date.now() - lastSync < every) { return; }
    lastSync = Date.now();
    syncBundle().then(upload);
  }, 1000);

  // A supervisor (or an administrator) admits a denied holder, with a reason; officers get 403.
  var lastDenied = null;
  var overrideDialog = document.getElementById("override-dialog");
  document.getElementById("override-open").addEventListener("click", function () {
    document.getElementById("override-reason").value = "";
    overrideDialog.showModal();
  });
  overrideDialog.addEventListener("close", function () {
    var reason = document.getElementById("override-reason").value.trim();
    if (overrideDialog.returnValue !== "override" || !lastDenied || !reason) { tokenInput.focus(); return; }
    var item = {
      nonce: nonce(), token: lastDenied.token, gate_id: state.gateId, direction: lastDenied.direction,
      scanned_at: new Date().toISOString(), override: { reason: reason }
    };
    api("POST", "/api/v1/scans", item, state.accessToken).then(function (r) {
      return r.json().then(function (answer) {
        if (!r.ok) {
          showResult({ decision: "deny", reason: "override_refused", flags: [], holder: null,
            detail: answer.detail || "" }, false);
          return;
        }
        var jws = GateRules.splitJws(item.token);
        showResult({ decision: answer.decision, reason: answer.reason, flags: answer.flags,
          holder: jws ? GateRules.holderOf(jws.payload) : null }, false);
      });
    }).catch(function () { state.online = false; }).then(showState);
    tokenInput.focus();
  });

  // Set up as a registered device of its gate: uploads and the bundle then use the device's
  // token, and never wait for a person's session.
  document.getElementById("device-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = event.target.elements.namedItem("device_token").value.trim();
    event.target.elements.namedItem("device_token").value = "";
    state.deviceToken = value;
    put("kept", value, "device").then(function () {
      document.getElementById("device-state").textContent = value ? say("device-set") : say("device-none");
      return syncBundle();
    }).then(upload);
  });

  // The camera, where the browser can read QR codes itself; else the page says a scanner is needed.
  var cameraButton = document.getElementById("camera-scan");
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", function () {
      var video = document.getElementById("camera-view");
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          var look = function () {
            detector.detect(video).then(function (codes) {
              if (codes.length > 0) {
                stream.getTracks().forEach(function (t) { t.stop(); });
                video.hidden = true;
                typed = codes[0].rawValue;
                finishScan();
              } else {
                requestAnimationFrame(look);
              }
            }).catch(function () { requestAnimationFrame(look); });
          };
          look();
        });
      }).catch(function () {
        document.getElementById("camera-missing").hidden = false;
      });
    });
  } else {
    document.getElementById("camera-missing").hidden = false;
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/gate-sw.js", { scope: "/gate" }).catch(function () {});
  }

  get("kept", "bundle").then(function (bundle) {
    state.bundle = bundle || null;
    return get("kept", "device");
  }).then(function (device) {
    state.deviceToken = device || "";
    document.getElementById("device-state").textContent = state.deviceToken ? say("device-set") : say("device-none");
    return showState();
  }).then(function () {
    // A gate already set up keeps scanning, offline too; the officer logs in again when asked.
    if (state.gateId && state.officer && (state.accessToken || state.deviceToken || state.bundle)) {
      showScanner();
    } else {
      askLogin();
    }
    return syncBundle();
  }).then(upload);
}());
