// The console's htmx forms answer a refused input with 400 (or a conflict with 409) and the form showing
// why: swap those answers in too, instead of htmx's default of ignoring every 4xx response.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 400 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
