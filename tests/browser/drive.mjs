// Open a notebook in JupyterLab with the system's headless chromium, run all cells, and wait
// until the wac dashboard has rendered and shows an access event from VT00000, and the
// presence widget lists the person who punched in; then tick them off in the roll call.
// Usage: node drive.mjs <lab base url> <notebook path> <screenshot.png>
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");

const [base, notebook, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const step = (name) => console.error(`[drive] ${name}`);
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(90_000);
  await page.goto(`${base}/lab/tree/${notebook}`);
  step("lab loading");
  await page.waitForFunction(
    () => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel,
  );
  await page.evaluate(async () => {
    const widget = window.jupyterapp.shell.currentWidget;
    await widget.sessionContext.ready;
    await widget.content.ready;
  });
  step("kernel ready; running all cells");
  await page.evaluate(() => window.jupyterapp.commands.execute("notebook:run-all-cells"));
  await page.waitForSelector(".wac-dashboard .wac-terminals");
  step("dashboard rendered");
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".wac-dashboard .wac-event")].some((e) =>
      e.textContent.includes("VT00000"),
    ),
  );
  step("access event shown");
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".wac-presence .wac-person")].some((e) =>
      e.textContent.includes("Ben"),
    ),
  );
  step("presence lists the person who came in");
  const inside = await page.evaluate(
    () => document.querySelector(".wac-presence .wac-presence-counts").innerText,
  );
  // Roll call: tick Ben in the browser; the kernel's counts follow.
  await page.locator(".wac-presence .wac-person input[type=checkbox]").first().check();
  await page.waitForFunction(() =>
    document
      .querySelector(".wac-presence .wac-presence-counts")
      ?.innerText.includes("1 accounted for"),
  );
  step("roll call ticked");
  const result = await page.evaluate(() => ({
    terminals: document.querySelector(".wac-dashboard .wac-terminals").innerText,
    counts: document.querySelector(".wac-dashboard .wac-counts").innerText,
    feed: document.querySelector(".wac-dashboard .wac-feed").innerText,
    hours: document.querySelectorAll(".wac-dashboard .wac-hours rect.wac-hour").length,
    people: document.querySelector(".wac-presence .wac-people").innerText,
    presence: document.querySelector(".wac-presence .wac-presence-counts").innerText,
  }));
  result.inside = inside;
  await page.screenshot({ path: shot });
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
