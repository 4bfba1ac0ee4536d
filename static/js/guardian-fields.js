// The profile's parent-or-guardian fields concern only volunteers aged 16 or 17: shown to
// everyone when script does not run, hidden here unless that age band is chosen (or the fields
// show an error). Loaded as a file: the Content-Security-Policy allows no inline
// script.
document.addEventListener("DOMContentLoaded", () => {
  const group = document.getElementById("guardian-fields");
  const age = group && document.getElementById(group.dataset.ageField);
  if (!group || !age) {
    return;
  }
  const show = () => {
    const hasError = group.querySelector(".has-error") !== null;
    group.hidden = !hasError && age.value !== group.dataset.ageBand;
  };
  age.addEventListener("change", show);
  show();
});
