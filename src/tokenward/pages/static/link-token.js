// The e-mailed links carry their single-use code after '#' (browsers never send that part to a server).
// This moves it into the form, hides the field and removes it from the address bar and the history.
(function () {
  var match = /[#&]token=([^&]+)/.exec(window.location.hash);
  var input = document.getElementById("token");
  if (!match || !input) { return; }
  input.value = decodeURIComponent(match[1]);
  var wrapper = document.querySelector("[data-link-token]");
  if (wrapper) { wrapper.hidden = true; }
  history.replaceState(null, "", window.location.pathname);
})();
