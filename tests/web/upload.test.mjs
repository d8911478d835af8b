// The Upload panel of topics 21 and 22 in a real browser against a real `dojo serve`. A
// learner picks a PNG the test made, uploads it, and sees the stored object's presigned
// URLs and the thumbnail and the stored image actually displayed, each at the size the
// sandbox made. A text file named `.png` is refused with the sandbox's 415, its reason and
// the layer that refused it. On topic 22 the same panel stores any file, its type told from
// its bytes and its SHA-256 as computed here. The panel passes axe-core in both themes.
// The server and browser come from `harness.mjs`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { png } from "../fixtures/png.mjs";
import { axeProblems, shoot, switchToDark } from "./panels.mjs";
import { TEST_MS, dojo, eventually, openPage, useDojo } from "./harness.mjs";

useDojo();

/** What the sandbox's thumbnails fit: a square of this side, the aspect ratio kept. */
const THUMBNAIL_SIDE = 256;

/** Topic `id`'s page, scrolled to its Upload panel. */
async function openPanel(t, id, options) {
  const page = await openPage(t, options);
  await page.goto(`${dojo.url}#/topic/${id}`);
  const panel = page.locator(".upload-panel");
  await panel.waitFor();
  assert.equal(await panel.getByRole("heading", { name: "Upload" }).count(), 1, "the panel's heading");
  return { page, panel };
}

/** Presses the upload button and waits for the sandbox's answer; answers its status. */
async function upload(panel, path) {
  await panel.getByRole("button", { name: `Upload to ${path}` }).click();
  const result = panel.locator(".up-result");
  await eventually(() => result.count(), (n) => n === 1, "the answer is shown");
  return Number(await result.getAttribute("data-status"));
}

/** The sandbox's answer as the panel shows it in the response body. */
async function shownBody(panel) {
  return JSON.parse(await panel.locator(".up-body").innerText());
}

/** The natural size of an `<img>` once it has loaded (0 x 0 while it has not). */
function loadedSize(image) {
  return eventually(
    () => image.evaluate((img) => (img.complete ? [img.naturalWidth, img.naturalHeight] : [0, 0])),
    ([width]) => width > 0,
    "the image loaded",
  );
}

test("topic 21: a PNG goes up, its signed URLs are shown and its thumbnail is displayed", { timeout: TEST_MS }, async (t) => {
  const { page, panel } = await openPanel(t, 21);
  assert.equal(await page.locator(".upload-panel").count(), 1, "one panel on the page");

  const picture = png(640, 400);
  await panel.getByLabel("File to upload").setInputFiles({
    name: "harbour.png",
    mimeType: "image/png",
    buffer: picture,
  });
  assert.match(await panel.locator(".up-chosen").innerText(), /harbour\.png, [\d.]+ (B|KiB), declared image\/png/);

  assert.equal(await upload(panel, "/api/v1/images"), 201, "the sandbox stored the image");
  assert.match(await panel.locator(".up-result-head").innerText(), /201\s+Created/);

  // The whole body went: the file and its multipart framing.
  const progress = panel.getByRole("progressbar", { name: "Upload progress" });
  const [sent, total] = await progress.evaluate((bar) => [bar.value, bar.max]);
  assert.ok(total > picture.length, `the body (${total} B) holds the ${picture.length} B file`);
  assert.equal(sent, total, "the progress reached the end");
  assert.match(await panel.locator(".up-progress-text").innerText(), /\(100%\)/);

  const answer = await shownBody(panel);
  assert.equal(answer.type_from, "magic_bytes", "the type came from the bytes");
  assert.deepEqual([answer.width, answer.height], [640, 400], "stored at its own size");
  // 640 x 400 scaled to fit 256 x 256 keeps 16:10.
  assert.deepEqual([answer.thumbnail_width, answer.thumbnail_height], [THUMBNAIL_SIDE, 160]);

  const signed = /^\/object-store\/images\/[0-9a-f]{32}\/(full|thumb)\.png\?expires=\d+&signature=[0-9a-f]+$/;
  const fullUrl = await panel.locator('[data-url="full"]').innerText();
  const thumbnailUrl = await panel.locator('[data-url="thumbnail"]').innerText();
  assert.match(fullUrl, signed, "the stored object's presigned URL");
  assert.match(thumbnailUrl, signed, "the thumbnail's presigned URL");
  assert.equal(fullUrl, answer.url, "the URL shown is the one the sandbox signed");
  assert.equal(thumbnailUrl, answer.thumbnail_url);

  // Both pictures load through their signed URLs, at the sizes the sandbox made.
  const thumbnail = panel.getByRole("img", { name: "Thumbnail of harbour.png" });
  assert.deepEqual(await loadedSize(thumbnail), [answer.thumbnail_width, answer.thumbnail_height]);
  assert.equal(
    await thumbnail.evaluate((img) => new URL(img.src).searchParams.get("path")),
    answer.thumbnail_url,
    "the thumbnail is read through its signed URL",
  );
  const stored = panel.getByRole("img", { name: "harbour.png as stored" });
  assert.deepEqual(await loadedSize(stored), [640, 400]);
  assert.equal(await panel.locator('.up-thumbnail[data-state="loaded"]').count(), 1);
  assert.match(await panel.locator(".up-thumbnail figcaption").innerText(), /256 × 160, through its signed URL/);

  // The trace shows each check passing, down to the decode.
  const toggle = panel.getByRole("button", { name: "Show the trace" });
  await toggle.focus();
  await page.keyboard.press("Enter");
  for (const layer of ["upload_type", "image_limits", "decode"]) {
    const row = panel.locator(`.timeline [data-layer="${layer}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute("data-decision"), "passed", `${layer} passed`);
  }
  assert.equal(await panel.getByRole("button", { name: "Hide the trace" }).getAttribute("aria-expanded"), "true");

  await shoot(panel, "upload-topic-21.png");
  assert.deepEqual(await axeProblems(page, ".upload-panel"), [], "axe, light theme");
  await switchToDark(page);
  await shoot(panel, "upload-topic-21-dark.png");
  assert.deepEqual(await axeProblems(page, ".upload-panel"), [], "axe, dark theme");
});

test("topic 21: a text file named .png, picked from the keyboard, is refused with 415 and its reason", { timeout: TEST_MS }, async (t) => {
  const { page, panel } = await openPanel(t, 21, { colorScheme: "dark" });

  // The picker opens from the keyboard, as it does for a learner who never touches the mouse.
  const input = panel.getByLabel("File to upload");
  await input.focus();
  await eventually(
    () => input.evaluate((element) => element === document.activeElement),
    (focused) => focused,
    "the file input has the keyboard focus",
  );
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), input.press("Space")]);
  await chooser.setFiles({
    name: "holiday.png",
    mimeType: "image/png",
    buffer: Buffer.from("these are words, not pixels\n"),
  });
  assert.match(await panel.locator(".up-chosen").innerText(), /holiday\.png, 28 B, declared image\/png/);

  assert.equal(await upload(panel, "/api/v1/images"), 415, "not an image, whatever its name says");
  const result = panel.locator(".up-result");
  const alert = result.getByRole("alert");
  assert.match(await alert.innerText(), /Unsupported Media Type/, "the problem's title");
  assert.match(
    await alert.innerText(),
    /not a PNG, JPEG or WebP image: its first bytes are "these ar"/,
    "the problem's detail names what the bytes are",
  );
  assert.equal(await result.getAttribute("data-refused-by"), "upload_type", "the type check refused it");
  assert.match(await result.locator(".up-refused").innerText(), /Refused by upload_type/);
  assert.equal(await panel.locator("img").count(), 0, "nothing to display");
  assert.equal((await shownBody(panel)).status, 415, "the problem as the sandbox sent it");

  await shoot(panel, "upload-refused-dark.png");
  assert.deepEqual(await axeProblems(page, ".upload-panel"), [], "axe, dark theme");
});

test("topic 22: the panel stores any file on disk, its type told from its bytes", { timeout: TEST_MS }, async (t) => {
  const { page, panel } = await openPanel(t, 22);
  const text = Buffer.from("Stream to disk, random names, ranges: 0123456789\n");
  await panel.getByLabel("File to upload").setInputFiles({
    name: "notes.txt",
    mimeType: "text/plain",
    buffer: text,
  });
  assert.equal(await upload(panel, "/api/v1/files"), 201, "the file is stored");

  const answer = await shownBody(panel);
  assert.equal(answer.name, "notes.txt", "the client's name, kept for display");
  assert.equal(answer.size, text.length);
  assert.equal(answer.sha256, createHash("sha256").update(text).digest("hex"), "the bytes arrived intact");
  assert.match(answer.content_type, /^text\/plain/);
  const facts = await panel.locator(".up-facts").innerText();
  assert.match(facts, new RegExp(answer.sha256));
  assert.match(facts, /GET \/api\/v1\/files\/[0-9a-f]{32}/, "where to download it");
  assert.equal(await panel.locator("img").count(), 0, "a file is no picture");

  await shoot(panel, "upload-topic-22.png");
  assert.deepEqual(await axeProblems(page, ".upload-panel"), [], "axe, light theme");

  // Topics without uploads get no panel.
  await page.goto(`${dojo.url}#/topic/24`);
  await page.locator(".socket-panel").waitFor();
  assert.equal(await page.locator(".upload-panel").count(), 0, "no panel on topic 24");
});
