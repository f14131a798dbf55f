// The header's menus are <details>: they work without this file; it closes an open one when the
// user clicks elsewhere or presses Escape, as menus do.
(function () {
  "use strict";
  const menus = () => document.querySelectorAll("header.top details.menu[open]");
  document.addEventListener("click", (event) => {
    menus().forEach((menu) => { if (!menu.contains(event.target)) { menu.open = false; } });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { menus().forEach((menu) => { menu.open = false; }); }
  });
})();
