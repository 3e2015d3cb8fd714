/**
 * The dashboard build. Routes are split by the router's lazy components; the vendor code every
 * page needs (React, TanStack, i18next) goes into one shared chunk so pages stay small and a
 * route change downloads only its own code. Sizes are printed after the build (see
 * ./build-report.ts) so the initial-JS budget is visible on every build.
 */
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { buildSizeReport } from "./build-report.js";

/** Where `vite dev` sends /api calls: a history server started by `npm start` or `upnext server start`. */
const DEV_API_TARGET = process.env.UPNEXT_DASHBOARD_API ?? "http://127.0.0.1:8080";

const VENDOR_PACKAGES = [
  "react",
  "react-dom",
  "scheduler",
  "@tanstack/react-router",
  "@tanstack/router-core",
  "@tanstack/history",
  "@tanstack/react-store",
  "@tanstack/store",
  "@tanstack/react-query",
  "@tanstack/query-core",
  "i18next",
  "react-i18next",
];

function isVendor(id: string): boolean {
  return VENDOR_PACKAGES.some((name) => id.includes(`/node_modules/${name}/`));
}

export default defineConfig({
  plugins: [react(), tailwindcss(), buildSizeReport()],
  build: {
    // Into @upnext/server, whose tarball ships it and whose server serves it at / (docs/dashboard.md).
    outDir: "../server/dashboard",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        codeSplitting: { groups: [{ name: "vendor", test: isVendor }] },
      },
    },
  },
  server: {
    proxy: {
      "/api": { target: DEV_API_TARGET, changeOrigin: true },
      "/health": { target: DEV_API_TARGET, changeOrigin: true },
      "/ready": { target: DEV_API_TARGET, changeOrigin: true },
    },
  },
});
