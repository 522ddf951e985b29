// The invoice print view (?print=1): opens the browser's print dialog once the
// page is shown, and reveals a Print button for printing again. Without
// JavaScript the page is already laid out for paper; CSP forbids inline
// handlers, hence this file.
(function () {
  var view = document.querySelector('[data-auto-print]');
  if (!view) return;
  var button = document.querySelector('[data-print-now]');
  if (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      window.print();
    });
  }
  window.addEventListener('load', function () {
    window.print();
  });
})();
