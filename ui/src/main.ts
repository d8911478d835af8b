// Entry point of Backend Dojo's UI, shared by the desktop app and web mode.
import { mount } from "svelte";
import App from "./App.svelte";
import { applyCodeFont, storedCodeFont } from "./lib/codeFont";
import { applyTextSize, storedTextSize } from "./lib/textSize";
import { applyTheme, initialTheme } from "./lib/theme";
import "./styles/app.css";
import "./styles/sandbox.css";
import "./styles/study.css";
import "./styles/interview.css";
import "./styles/first-run.css";
import "./styles/status-bar.css";
import "./styles/preferences.css";

// Set the theme before the first render so a stored choice never flashes the other one.
applyTheme(initialTheme());
applyTextSize(storedTextSize());
applyCodeFont(storedCodeFont());

const target = document.getElementById("app");
if (!target) throw new Error("Backend Dojo: the page has no #app element");

export default mount(App, { target });
