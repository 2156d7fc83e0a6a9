// Observable Framework configuration of the CRM dashboard (`make dashboard`).
// No global stylesheet from the internet (Framework's default loads a web font),
// no search index, no telemetry (the Makefile sets OBSERVABLE_TELEMETRY_DISABLE).
export default {
  title: "CRM dashboard",
  root: "src",
  // make dashboard DASHBOARD_OUT=... (the browser test builds into a folder of its own)
  output: process.env.CRM_DASHBOARD_OUT || "dist",
  pages: [
    {name: "Weekly monitor", path: "/"},
    {name: "Customers", path: "/customers"},
    {name: "Targets, campaigns and stores", path: "/planning"}
  ],
  theme: "air",
  style: "style.css",
  globalStylesheets: [],
  search: false,
  toc: false,
  pager: false,
  preserveExtension: true,
  footer: "CRM lifecycle warehouse · built by make dashboard from the warehouse's marts (read-only)."
};
