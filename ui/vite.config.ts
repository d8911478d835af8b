import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// In `npm run dev`, API calls go to a running web mode server named by DOJO_URL, e.g.
//   dojo serve --port 7070   and   DOJO_URL=http://127.0.0.1:7070 npm run dev
declare const process: { env: Record<string, string | undefined> }; // no @types/node needed
const dojoUrl = process.env.DOJO_URL;

// Backend Dojo's UI is loaded from the Tauri asset protocol in the desktop app and from
// `dojo serve` in web mode, so every asset path in dist/ is relative.
export default defineConfig({
  base: "./",
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    // changeOrigin: web mode only answers requests addressed to its own host and port.
    proxy: dojoUrl ? { "/api": { target: dojoUrl, changeOrigin: true } } : undefined,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
});
