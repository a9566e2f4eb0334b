// Passkey ceremonies for the hosted pages: each form marked data-passkey is sent by this script instead of the
// browser. It asks the server for WebAuthn options (the form's own fields, with its CSRF token), lets the
// browser create or use a passkey, posts the result with the form and follows the answer. "sign-in" serves
// both passwordless sign-in and the second step after a password (the form names its endpoints). On the account
// page, a form marked data-step-up (and no code field) proves a current passkey first: "register" before it
// asks for the new passkey's options, any other such form (set up an app, new recovery codes, turn the app off,
// remove a passkey) gets the response in a "webauthn" field and is then sent as a plain form, so the server
// answers it like any page. Without WebAuthn support the forms say so.
(function () {
  "use strict";

  function fromB64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) { return Object.assign({}, item, { id: fromB64url(item.id) }); });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: fromB64url(options.challenge),
      user: Object.assign({}, options.user, { id: fromB64url(options.user.id) }),
      excludeCredentials: withIds(options.excludeCredentials)
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: fromB64url(options.challenge),
      allowCredentials: withIds(options.allowCredentials)
    });
  }

  function asJson(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toB64url(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64url(response.authenticatorData);
      out.response.signature = toB64url(response.signature);
      if (response.userHandle) { out.response.userHandle = toB64url(response.userHandle); }
    }
    return JSON.stringify(out);
  }

  function post(url, form, extra) {
    var body = new FormData(form);
    Object.keys(extra || {}).forEach(function (name) { body.set(name, extra[name]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" }).then(function (answer) {
      return answer.json().catch(function () { return { detail: "The server could not be reached properly." }; })
        .then(function (data) {
          if (!answer.ok) { throw new Error(data.detail || "The passkey step failed."); }
          return data;
        });
    });
  }

  function stepUp(form) {
    return post(form.dataset.stepUp, form).then(function (data) {
      return navigator.credentials.get({ publicKey: requestOptions(data.publicKey) });
    }).then(function (credential) { return { webauthn: asJson(credential) }; });
  }

  var ceremonies = {
    "sign-in": function (form) {
      return post(form.dataset.options, form).then(function (data) {
        return navigator.credentials.get({ publicKey: requestOptions(data.publicKey) });
      }).then(function (credential) { return post(form.action, form, { credential: asJson(credential) }); });
    },
    register: function (form) {
      // with a passkey already on (and no app code field), the current passkey is the proof a change needs
      var proof = form.dataset.stepUp ? stepUp(form) : Promise.resolve({});
      return proof.then(function (extra) { return post(form.dataset.options, form, extra); }).then(function (data) {
        return navigator.credentials.create({ publicKey: creationOptions(data.publicKey) });
      }).then(function (credential) {
        return post(form.action, form, { credential: asJson(credential), name: form.elements.passkey_name.value });
      });
    }
  };

  function submitWithStepUp(form) {
    return stepUp(form).then(function (proof) {
      var field = form.querySelector("input[name=webauthn]") || document.createElement("input");
      field.type = "hidden";
      field.name = "webauthn";
      field.value = proof.webauthn;
      form.appendChild(field);
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  function report(form, message) {
    var box = form.querySelector("[data-passkey-error]") || document.querySelector("[data-passkey-error]");
    if (box) { box.textContent = message; box.hidden = false; box.focus(); } else { window.alert(message); }
  }

  function failed(form, button) {
    return function (error) {
      button.disabled = false;
      report(form, error.name === "NotAllowedError" ? "The passkey step was cancelled or timed out." : error.message);
    };
  }

  document.querySelectorAll("form[data-passkey], form[data-step-up]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!window.PublicKeyCredential) { report(form, "This browser cannot use passkeys."); return; }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      if (!form.dataset.passkey) {
        submitWithStepUp(form).catch(failed(form, button));
        return;
      }
      ceremonies[form.dataset.passkey](form).then(function (data) {
        window.location.assign(data.redirect || window.location.pathname);
      }).catch(failed(form, button));
    });
  });
})();
