// The book's small helpers, run on every page.
//
// 1. Accessibility: give every form field an accessible name (DataTables' SearchPanes
//    inputs in the study explorer carry only a title and a placeholder).
// 2. A link to a code cell (``#cell-NAME``, the "made by this code cell" of every figure and table)
//    opens that cell's source.
// 3. Tables on phones: every cell gets its column header as data-label, and the table the
//    class ketrev-stack, so that narrow screens show each row as a labelled block
//    (ketrev.css) instead of hiding columns behind a scroll. Rows DataTables draws later
//    are labelled as they appear.
function ketrevLabelInputs() {
  document.querySelectorAll("input:not([aria-label]):not([aria-labelledby])").forEach((input) => {
    const name = input.getAttribute("title") || input.getAttribute("placeholder");
    if (name) input.setAttribute("aria-label", name);
  });
}

function ketrevLabelCells() {
  document.querySelectorAll("main table").forEach((table) => {
    const head = table.tHead && table.tHead.rows.length ? table.tHead.rows[table.tHead.rows.length - 1] : null;
    if (!head) return;
    const names = Array.from(head.cells).map((cell) => cell.textContent.trim());
    Array.from(table.tBodies).forEach((body) => {
      Array.from(body.rows).forEach((row) => {
        Array.from(row.cells).forEach((cell, i) => {
          if (!cell.hasAttribute("data-label") && names[i]) cell.setAttribute("data-label", names[i]);
        });
      });
    });
    table.classList.add("ketrev-stack");
  });
}

function ketrevOpenLinkedCell() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  const cell = id ? document.getElementById(id) : null;
  const toggle = cell && cell.classList.contains("cell") ? cell.querySelector("details.above-input") : null;
  if (toggle) toggle.open = true;
}

function ketrevHelpers() {
  ketrevLabelInputs();
  ketrevLabelCells();
}

let ketrevPending = false;
new MutationObserver(() => {
  if (ketrevPending) return;
  ketrevPending = true;
  requestAnimationFrame(() => { ketrevPending = false; ketrevHelpers(); });
}).observe(document.documentElement, { childList: true, subtree: true });
document.addEventListener("DOMContentLoaded", () => { ketrevHelpers(); ketrevOpenLinkedCell(); });
window.addEventListener("hashchange", ketrevOpenLinkedCell);
