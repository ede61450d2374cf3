// The gate's own judgment of a scan, for when the service cannot be asked: the permit token
// checked against the signed gate bundle with WebCrypto Ed25519, and the zone's rules (the
// contract's "Recording a scan") applied to who the bundle says is inside and what this gate
// admitted since. The service judges the same scan again when the queue reaches it.
"use strict";

var GateRules = (function () {
  var textDecoder = new TextDecoder();
  var textEncoder = new TextEncoder();

  function base64urlBytes(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) { return null; }
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4 !== 0) { padded += "="; }
    try {
      var raw = atob(padded);
      var bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
      return bytes;
    } catch (e) {
      return null;
    }
  }

  function base64urlJson(text) {
    var bytes = base64urlBytes(text);
    if (!bytes) { return null; }
    try { return JSON.parse(textDecoder.decode(bytes)); } catch (e) { return null; }
  }

  // A compact JWS split into its parts; null when it is not one.
  function splitJws(token) {
    var parts = String(token).trim().split(".");
    if (parts.length !== 3) { return null; }
    var header = base64urlJson(parts[0]);
    var payload = base64urlJson(parts[1]);
    var signature = base64urlBytes(parts[2]);
    if (!header || !payload || !signature || typeof header !== "object" || typeof payload !== "object") {
      return null;
    }
    return {
      header: header,
      payload: payload,
      signature: signature,
      signed: textEncoder.encode(parts[0] + "." + parts[1])
    };
  }

  // A permit token's claims as the officer compares them with the document in hand.
  function holderOf(payload) {
    var name = String(payload.n || "").split("<<").map(function (part) {
      return part.replace(/</g, " ").trim();
    }).filter(function (part) { return part.length > 0; }).join(" ");
    var b = String(payload.b || "");
    var birth = /^\d{8}$/.test(b) ? b.slice(0, 4) + "-" + b.slice(4, 6) + "-" + b.slice(6, 8) : "";
    return { name: name, nationality: String(payload.c || ""), birthDate: birth };
  }

  var importedKeys = {};

  function importKey(jwk) {
    var id = jwk.kid + ":" + jwk.x;
    if (!importedKeys[id]) {
      importedKeys[id] = crypto.subtle.importKey(
        "jwk",
        { kty: "OKP", crv: "Ed25519", x: jwk.x },
        { name: "Ed25519" },
        false,
        ["verify"]
      );
    }
    return importedKeys[id];
  }

  function verifyWith(jwk, jws) {
    return importKey(jwk).then(function (key) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, jws.signature, jws.signed);
    });
  }

  // Verifies a signed gate bundle with the published bundle keys (the JWKS); its payload, or null.
  function openBundle(compact, jwks) {
    var jws = splitJws(compact);
    if (!jws || jws.header.typ !== "bundle+jwt" || jws.header.alg !== "EdDSA") {
      return Promise.resolve(null);
    }
    var jwk = (jwks.keys || []).filter(function (k) { return k.kid === jws.header.kid; })[0];
    if (!jwk) { return Promise.resolve(null); }
    return verifyWith(jwk, jws).then(function (ok) { return ok ? jws.payload : null; });
  }

  // Where a permit's holder is, by the bundle and what this gate admitted since it was issued.
  function presenceOf(permitId, bundle, localCrossings) {
    var side = null;
    (bundle.inside || []).forEach(function (entry) {
      if (entry.permit_id === permitId) { side = entry.side; }
    });
    localCrossings.forEach(function (crossing) {
      if (crossing.permitId !== permitId || crossing.decision !== "admit") { return; }
      side = crossing.direction === "entry" ? crossing.side : null;
    });
    return side;
  }

  // The gate's decision on `token` scanned at `gate` (with its `side`) in `direction` at `now`
  // (Unix seconds): {decision, reason, flags, holder, permitId}.
  function decide(token, direction, side, now, bundle, localCrossings) {
    var jws = splitJws(token);
    var deny = function (reason, extra) {
      var answer = { decision: "deny", reason: reason, flags: [], holder: null, permitId: null };
      return Object.assign(answer, extra || {});
    };
    if (!jws || jws.header.alg !== "EdDSA" || (jws.header.typ && jws.header.typ !== "JWT") ||
        typeof jws.payload.sub !== "string") {
      return Promise.resolve(deny("malformed_token"));
    }
    var claims = jws.payload;
    var known = { holder: holderOf(claims), permitId: claims.sub };
    var jwk = (bundle.keys || []).filter(function (k) { return k.kid === jws.header.kid; })[0];
    if (!jwk) { return Promise.resolve(deny("unknown_key")); }
    return verifyWith(jwk, jws).then(function (authentic) {
      if (!authentic) { return deny("bad_signature"); }
      var revoked = (bundle.revoked || []).some(function (r) {
        return r.permit_id === claims.sub && Date.parse(r.revoked_at) / 1000 <= now;
      });
      var expired = now >= claims.exp;
      var inside = presenceOf(claims.sub, bundle, localCrossings);
      if (direction === "entry") {
        if (revoked) { return deny("revoked", known); }
        if (now < claims.nbf) { return deny("not_yet_valid", known); }
        if (expired) { return deny("expired", known); }
        if (inside) { return deny("already_inside", known); }
        return { decision: "admit", reason: null, flags: [], holder: known.holder, permitId: claims.sub };
      }
      if (!inside) { return deny("not_inside", known); }
      if (inside !== side) { return deny("wrong_side", known); }
      var flags = [];
      if (expired) { flags.push("overstay"); }
      if (revoked) { flags.push("revoked"); }
      return { decision: "admit", reason: null, flags: flags, holder: known.holder, permitId: claims.sub };
    });
  }

  // A keyboard-wedge scanner types key positions; the operating system's layout (Russian,
  // Kazakh, a Chinese input method) turns them into other characters. A token holds only
  // A-Z a-z 0-9 - _ . : read from KeyboardEvent.code (the key's position) they are what the
  // scanner meant whatever the layout.
  function characterOfKey(event) {
    var code = event.code || "";
    var letter = /^Key([A-Z])$/.exec(code);
    if (letter) { return event.shiftKey ? letter[1] : letter[1].toLowerCase(); }
    var digit = /^(?:Digit|Numpad)([0-9])$/.exec(code);
    if (digit && !event.shiftKey) { return digit[1]; }
    if (code === "Minus" || code === "NumpadSubtract") { return event.shiftKey ? "_" : "-"; }
    if (code === "Period" || code === "NumpadDecimal") { return event.shiftKey ? null : "."; }
    return null;
  }

  return {
    splitJws: splitJws,
    holderOf: holderOf,
    openBundle: openBundle,
    decide: decide,
    characterOfKey: characterOfKey
  };
}());
