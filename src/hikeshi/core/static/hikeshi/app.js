// Small progressive enhancements; every page works without this file.
document.addEventListener("change", function (event) {
  var form = event.target.closest("form[data-autosubmit]");
  if (form) { form.submit(); }
});
