// Accessible names and tab stops that Dash's own components leave out, fixed once for every page.
//
// 1. dcc.Dropdown (Dash 4) puts an invisible, aria-hidden <input> in the tab order as a stand-in
//    that forwards focus to the real button, which it keeps out of the tab order: a focusable
//    element hidden from screen readers (WCAG 4.1.2, axe "aria-hidden-focus"). The button takes
//    the tab stop (it opens with Enter, Space or the arrow keys) and the stand-in leaves the tab
//    order, also after the dropdown sets it back when the button loses focus.
// 2. dcc.Upload hides its file <input> in the drop zone without a label (axe "label"): it is
//    named after the drop zone's own text ("Kéo thả hoặc chọn tệp…"), which says what it is for.
(function () {
  function fixDropdown(input) {
    if (input.tabIndex !== -1) {
      input.tabIndex = -1;
    }
    var button = input.nextElementSibling;
    if (button && button.tagName === "BUTTON" && !button.disabled && button.tabIndex !== 0) {
      button.tabIndex = 0;
    }
  }
  function nameUpload(input) {
    var zone = input.parentElement;
    var text = zone ? zone.innerText.trim() : "";
    if (text && input.getAttribute("aria-label") !== text) {
      input.setAttribute("aria-label", text);
    }
  }
  function scan() {
    document.querySelectorAll(".dash-dropdown-focus-target").forEach(fixDropdown);
    document.querySelectorAll("input[type=file]").forEach(nameUpload);
  }
  // Mutation callbacks run as microtasks: fixed before the browser paints or a test looks.
  var observer = new MutationObserver(scan);
  function start() {
    scan();
    observer.observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["tabindex"]});
  }
  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
