// The Upload panel of topic 21 in the real desktop window: a learner picks a PNG this test
// made (through the file input, as WebDriver does for a file chooser), uploads it over the
// app's IPC, watches the progress bar go from "on the way" to done, and sees the presigned
// URLs and the thumbnail and the stored image actually displayed, read back through the
// app from the sandbox's object store. A text file named `.png` gets the sandbox's 415 and
// the layer that refused it, and a forged signature is refused by the store with its reason.
// The display, driver and scratch study folder come from harness.mjs.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { png } from "../fixtures/png.mjs";
import { WAIT_MS, clickInView, saveAppScreenshot, startDesktop } from "./harness.mjs";

/** What the sandbox's thumbnails fit: a square of this side, the aspect ratio kept. */
const THUMBNAIL_SIDE = 256;
/** What the sandbox's signed object URLs look like. */
const SIGNED = /^\/object-store\/images\/[0-9a-f]{32}\/(full|thumb)\.png\?expires=\d+&signature=[0-9a-f]+$/;

let desktop;
let browser;
let filesDir;

before(async () => {
  filesDir = mkdtempSync(join(tmpdir(), "dojo-desktop-upload-"));
  desktop = await startDesktop();
  browser = await desktop.launchApp();
});

after(async () => {
  await desktop?.stop();
  if (filesDir) rmSync(filesDir, { recursive: true, force: true });
});

/** Writes `bytes` as `name` in the test's scratch folder; answers its path. */
function localFile(name, bytes) {
  const path = join(filesDir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Opens topic `id` and waits for its Upload panel; clears what an earlier test left. */
async function openPanel(id) {
  await browser.execute((hash) => {
    location.hash = hash;
  }, `#/topic/${id}`);
  const panel = browser.$(".upload-panel");
  await panel.waitForExist({ timeout: WAIT_MS });
  const clear = panel.$("button=Clear");
  if (await clear.isEnabled()) await clickInView(browser, clear);
  await browser.waitUntil(async () => (await browser.$$(".upload-panel .up-result")).length === 0, {
    timeout: WAIT_MS,
    timeoutMsg: "the panel did not clear",
  });
  return panel;
}

/** Picks the local file at `path` in the panel's file input, as a file chooser would. */
async function pick(panel, path, name) {
  // WebDriver sets a file input's files from a local path sent as its keys.
  await panel.$("input[type=file]").addValue(path);
  await browser.waitUntil(async () => (await panel.$(".up-chosen").getText()).includes(name), {
    timeout: WAIT_MS,
    timeoutMsg: `the panel never showed ${name} as chosen`,
  });
}

/**
 * Presses the upload button and waits for the sandbox's answer. Answers its status and
 * every text the progress line showed on the way, recorded as the page changed.
 */
async function upload(panel, path) {
  await browser.execute(() => {
    const seen = [];
    window.__uploadProgressSeen = seen;
    const root = document.querySelector(".upload-panel");
    const note = () => {
      const text = root.querySelector(".up-progress-text")?.textContent?.trim();
      if (text && seen.at(-1) !== text) seen.push(text);
    };
    window.__uploadProgressWatch?.disconnect();
    window.__uploadProgressWatch = new MutationObserver(note);
    window.__uploadProgressWatch.observe(root, { subtree: true, childList: true, characterData: true });
  });
  await clickInView(browser, panel.$(`button=Upload to ${path}`));
  const result = panel.$(".up-result");
  await result.waitForExist({ timeout: WAIT_MS });
  const seen = await browser.execute(() => {
    window.__uploadProgressWatch.disconnect();
    return window.__uploadProgressSeen;
  });
  return { status: Number(await result.getAttribute("data-status")), seen };
}

/** The natural size of an `<img>` once it has loaded. */
async function loadedSize(image) {
  await image.waitForExist({ timeout: WAIT_MS });
  let size = [0, 0];
  await browser.waitUntil(
    async () => {
      size = await browser.execute(
        (img) => (img.complete ? [img.naturalWidth, img.naturalHeight] : [0, 0]),
        await image.getElement(),
      );
      return size[0] > 0;
    },
    { timeout: WAIT_MS, timeoutMsg: "the image never loaded" },
  );
  return size;
}

test("topic 21: a PNG goes up over the IPC and its signed URLs and thumbnail are shown", async () => {
  const panel = await openPanel(21);
  const picture = png(640, 400);
  await pick(panel, localFile("harbour.png", picture), "harbour.png");
  assert.match(await panel.$(".up-chosen").getText(), /harbour\.png, [\d.]+ KiB, declared image\/png/);

  const { status, seen } = await upload(panel, "/api/v1/images");
  assert.equal(status, 201, "the sandbox stored the image");
  assert.match(await panel.$(".up-result-head").getText(), /201\s+Created/);

  // The bar said honestly that the body was on its way, then that all of it went.
  assert.ok(
    seen.some((text) => /on the way to the sandbox/.test(text)),
    `the progress line said the body was on its way: ${JSON.stringify(seen)}`,
  );
  assert.match(seen.at(-1), /\(100%\)$/, "and ended at 100%");
  const [sent, total] = await browser.execute(() => {
    const bar = document.querySelector(".upload-panel progress");
    return [bar.value, bar.max];
  });
  assert.ok(total > picture.length, `the body (${total} B) holds the ${picture.length} B file and its framing`);
  assert.equal(sent, total, "the progress reached the end");

  const answer = JSON.parse(await panel.$(".up-body").getText());
  assert.equal(answer.type_from, "magic_bytes", "the type came from the bytes");
  assert.deepEqual([answer.width, answer.height], [640, 400], "stored at its own size");
  // 640 x 400 scaled to fit 256 x 256 keeps 16:10.
  assert.deepEqual([answer.thumbnail_width, answer.thumbnail_height], [THUMBNAIL_SIDE, 160]);

  const fullUrl = await panel.$('[data-url="full"]').getText();
  const thumbnailUrl = await panel.$('[data-url="thumbnail"]').getText();
  assert.match(fullUrl, SIGNED, "the stored object's presigned URL");
  assert.match(thumbnailUrl, SIGNED, "the thumbnail's presigned URL");
  assert.equal(fullUrl, answer.url, "the URL shown is the one the sandbox signed");
  assert.equal(thumbnailUrl, answer.thumbnail_url);

  // Both pictures were read back through the app and load at the sizes the sandbox made.
  const thumbnail = panel.$('img[alt="Thumbnail of harbour.png"]');
  assert.deepEqual(await loadedSize(thumbnail), [THUMBNAIL_SIDE, 160]);
  assert.match(await thumbnail.getAttribute("src"), /^blob:/, "shown from the bytes the app read");
  const stored = panel.$('img[alt="harbour.png as stored"]');
  assert.deepEqual(await loadedSize(stored), [640, 400]);
  await browser.waitUntil(async () => (await panel.$$('.up-thumbnail[data-state="loaded"]')).length === 1, {
    timeout: WAIT_MS,
    timeoutMsg: "the thumbnail's figure never said it loaded",
  });

  // The upload's trace came along: every check passed, down to the decode.
  await clickInView(browser, panel.$("button=Show the trace"));
  for (const layer of ["upload_type", "image_limits", "decode"]) {
    const row = panel.$(`.timeline [data-layer="${layer}"]`);
    await row.waitForExist({ timeout: WAIT_MS });
    assert.equal(await row.getAttribute("data-decision"), "passed", `${layer} passed`);
  }

  await browser.execute(() =>
    document.querySelector(".upload-panel .up-progress").scrollIntoView({ block: "start", behavior: "instant" }),
  );
  await saveAppScreenshot(browser, "desktop-upload-topic-21.png");

  // A forged signature reaches the store, which refuses; the app passes on its reason.
  const refused = await browser.executeAsync((path, done) => {
    window.__TAURI_INTERNALS__
      .invoke("fetch_sandbox_object", { path })
      .then(() => done({ allowed: true }), (problem) => done(problem));
  }, thumbnailUrl.replace("signature=", "signature=0"));
  assert.equal(refused.status, 403, `the store refused the forged URL: ${JSON.stringify(refused)}`);
  assert.ok(refused.detail, "with its reason");
});

test("topic 21: a text file named .png is refused with the sandbox's 415 and its reason", async () => {
  const panel = await openPanel(21);
  await pick(panel, localFile("holiday.png", "these are words, not pixels\n"), "holiday.png");

  const { status } = await upload(panel, "/api/v1/images");
  assert.equal(status, 415, "not an image, whatever its name says");
  const result = panel.$(".up-result");
  assert.match(
    await result.$(".up-problem").getText(),
    /not a PNG, JPEG or WebP image: its first bytes are "these ar"/,
    "the problem's detail names what the bytes are",
  );
  assert.equal(await result.getAttribute("data-refused-by"), "upload_type", "the type check refused it");
  assert.equal((await panel.$$("img")).length, 0, "nothing to display");
});
