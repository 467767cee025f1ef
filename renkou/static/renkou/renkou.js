/* renkou — page behaviour kept out of the HTML, so the Content-Security-Policy can forbid
   inline scripts. */
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-submit-on-change]")) {
    target.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target.matches && target.matches("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
