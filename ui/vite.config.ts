import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Backend Dojo's UI is loaded from the Tauri asset protocol in the desktop app and from
// `dojo serve` in web mode, so every asset path in dist/ is relative.
export default defineConfig({
  base: "./",
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
});
