// The HTML slip: mark the page ready once its fonts and QR code have loaded, so the kiosk
// (and the tests) print it whole. A file, not an onload attribute: the CSP allows no inline code.
window.addEventListener("load", () => {
  document.body.dataset.ready = "1";
});
