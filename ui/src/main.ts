// Entry point of Backend Dojo's UI, shared by the desktop app and web mode.
import { mount } from "svelte";
import App from "./App.svelte";
import { applyTextSize, storedTextSize } from "./lib/textSize";
import { applyTheme, initialTheme } from "./lib/theme";
import "./styles/app.css";
import "./styles/sandbox.css";
import "./styles/study.css";
import "./styles/interview.css";

// Set the theme before the first render so a stored choice never flashes the other one.
applyTheme(initialTheme());
applyTextSize(storedTextSize());

const target = document.getElementById("app");
if (!target) throw new Error("Backend Dojo: the page has no #app element");

export default mount(App, { target });
