// Accessibility: give every form field an accessible name. DataTables' SearchPanes
// inputs in the study explorer carry only a title and a placeholder.
function ketrevLabelInputs() {
  document.querySelectorAll("input:not([aria-label]):not([aria-labelledby])").forEach((input) => {
    const name = input.getAttribute("title") || input.getAttribute("placeholder");
    if (name) input.setAttribute("aria-label", name);
  });
}
new MutationObserver(ketrevLabelInputs).observe(document.documentElement, { childList: true, subtree: true });
document.addEventListener("DOMContentLoaded", ketrevLabelInputs);
