package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console at /console in a real headless Chromium, against a real node: Debian's chromium
 * and chromedriver, driven through Selenium with the driver's path set, so Selenium Manager never
 * runs (and never downloads). Outside CI the test skips when they are not installed; in CI
 * ({@code CI=true}, where .ci/run installs them) it fails.
 */
class ConsoleBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final String README_INTENT = "What is 17% of 2,340 and what time is it in UTC?";
  /** The calculator call ApprovalsE2ETest pauses for approval. */
  static final String APPROVAL_INTENT = "What is 17% of 2,340?";
  static final Path REPORTS = Path.of("target", "reports", "console");

  @TempDir
  Path dir;

  private TestNode node;
  private WebDriver browser;

  @BeforeAll
  static void browserInstalled() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    String missing = "the console's browser test needs Debian's chromium and chromium-driver ("
        + CHROMIUM + ", " + CHROMEDRIVER + "): apt-get install -y chromium chromium-driver";
    if (!installed && "true".equals(System.getenv("CI"))) {
      fail(missing);
    }
    Assumptions.assumeTrue(installed, "skipped: " + missing);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (browser != null) browser.quit();
    } finally {
      if (node != null) node.close();
    }
  }

  @Test
  void submitsTheReadmeIntentAndDrawsItsTwoToolCallsOverlapping() throws Exception {
    node = TestNode.start(dir.resolve("data"));
    browser = chromium(dir.resolve("profile"));
    WebDriverWait wait = waitUpTo(Duration.ofSeconds(60));

    browser.get(node.base + "/console");
    wait.until(ExpectedConditions.textToBe(By.id("node-status"), "node ready"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".breaker.closed"), "closed"));
    assertEquals(4, browser.findElements(By.cssSelector("#subsystems .subsystem.ready")).size());

    browser.findElement(By.id("submit-text")).sendKeys(README_INTENT);
    browser.findElement(By.id("submit-button")).click();
    wait.until(ExpectedConditions.urlMatches("/console#/intents/[^/]+$"));
    String id = browser.getCurrentUrl().replaceFirst(".*#/intents/", "");

    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "succeeded"));
    assertTrue(browser.findElement(By.id("intent-outcome")).getText().contains("397.8"));
    // The timeline redraws while the page polls: read the bar's id and click it inside one wait.
    String toolSpanId = wait.until(d -> {
      List<WebElement> bars = overlappingToolBars(d);
      return bars == null ? null : bars.get(0).getAttribute("data-span-id");
    });

    // Clicking a tool bar shows its step and the guardrail's verdict on the call.
    wait.until(d -> {
      d.findElement(By.cssSelector("#timeline .bar[data-kind='tool'][data-span-id='" + toolSpanId + "']")).click();
      return true;
    });
    WebElement detail = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("span-detail")));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#span-detail .verdict"), "allow"));
    assertTrue(detail.getText().contains("\"callId\""), detail.getText());

    // The list is live and filterable by status and by session.
    // The list redraws as it polls, so each read happens inside a wait.
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("#intent-list li[data-intent-id='" + id + "']"), "succeeded"));
    new Select(browser.findElement(By.id("filter-status"))).selectByVisibleText("failed");
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#intent-list li"), 0));
    new Select(browser.findElement(By.id("filter-status"))).selectByVisibleText("succeeded");
    new Select(browser.findElement(By.id("filter-session"))).selectByValue(id.substring(0, id.lastIndexOf('.')));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#intent-list li"), 1));

    Files.createDirectories(REPORTS);
    screenshot(REPORTS.resolve("console.png"));

    // The intent has its own address: a fresh load of it draws the same timeline.
    browser.get(node.base + "/console#/intents/" + id);
    browser.navigate().refresh();
    wait.until(d -> overlappingToolBars(d));
    wait.until(d -> {
      new Actions(d).doubleClick(d.findElement(By.cssSelector("#timeline .bar[data-kind='tool']"))).perform();
      return true;
    });
    wait.until(ExpectedConditions.presenceOfElementLocated(By.id("zoom-reset")));
    wait.until(d -> overlappingToolBars(d));
    screenshot(REPORTS.resolve("console-zoomed.png"));

    // An id typed by hand that names no intent says so, and stays out of the list.
    browser.findElement(By.id("open-id")).sendKeys("s-nobody.1");
    browser.findElement(By.cssSelector("#open-form button")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("intent-text"), "No such intent"));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#intent-list li"), 1));
  }

  @Test
  void withAuthOnTheConsoleAsksForTheKeyAndKeepsItInTheTabOnly() throws Exception {
    String key = "tk-console-5b7c9d1e3f";
    node = TestNode.start(dir.resolve("data"), Map.of(
        "troupe.http.api-keys", "ops:" + sha256(key) + ":intents.write+intents.read",
        "troupe.vector-store.embedder", "hashing"));
    browser = chromium(dir.resolve("profile"));
    WebDriverWait wait = waitUpTo(Duration.ofSeconds(60));

    browser.get(node.base + "/console");
    wait.until(ExpectedConditions.textToBe(By.id("node-status"), "node ready"));
    browser.findElement(By.id("submit-text")).sendKeys("What is 6 * 7?");
    browser.findElement(By.id("submit-button")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("banner"), "needs an API key"));

    browser.findElement(By.id("api-key")).sendKeys(key);
    browser.findElement(By.cssSelector("#key-form button[type='submit']")).click();
    wait.until(ExpectedConditions.textToBe(By.id("key-state"), "key set for this tab"));
    browser.findElement(By.id("submit-button")).click();
    wait.until(ExpectedConditions.urlMatches("/console#/intents/[^/]+$"));
    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "succeeded"));
    assertTrue(browser.findElement(By.id("intent-outcome")).getText().contains("42"));

    JavascriptExecutor js = (JavascriptExecutor) browser;
    assertEquals(key, js.executeScript("return sessionStorage.getItem('troupe.console.apiKey')"));
    assertNull(js.executeScript("return localStorage.getItem('troupe.console.apiKey')"));
    assertEquals("", browser.findElement(By.id("api-key")).getAttribute("value"));
    assertFalse(browser.getPageSource().contains(key), "the key is in the page");
  }

  @Test
  void aCallAwaitingApprovalIsListedAndApprovedOrRejectedFromThePanel() throws Exception {
    node = TestNode.start(dir.resolve("data"), Map.of(
        "troupe.guardrail.require-approval", List.of("calculator"),
        "troupe.vector-store.embedder", "hashing"));
    browser = chromium(dir.resolve("profile"));
    WebDriverWait wait = waitUpTo(Duration.ofSeconds(60));

    browser.get(node.base + "/console");
    wait.until(ExpectedConditions.textToBe(By.id("node-status"), "node ready"));
    wait.until(ExpectedConditions.textToBe(By.id("approvals-empty"), "Nothing waits for a person's approval."));

    String approved = submitFromTheForm(wait, APPROVAL_INTENT);
    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "awaiting_approval"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("intent-awaiting"), "calculator (a1)"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#timeline .tl-row .dur"),
        "awaiting approval"));
    assertEquals(1, browser.findElements(By.cssSelector("#timeline .bar.awaiting")).size());
    JsonNode listed = pendingOver(approved);
    // The panel shows the call as the API lists it: tool, reason, arguments pretty-printed, a link to the intent.
    List<String> shown = wait.until(d -> {
      WebElement item = d.findElement(approvalItem(approved));
      return List.of(item.getText(), item.findElement(By.cssSelector("a.intent-link")).getAttribute("href"),
          item.findElement(By.cssSelector("pre.arguments")).getText());
    });
    assertTrue(shown.get(0).contains("calculator") && shown.get(0).contains(listed.get("reason").asText()), shown.get(0));
    assertTrue(shown.get(1).endsWith("#/intents/" + approved), shown.get(1));
    String shownArguments = shown.get(2);
    assertEquals(listed.get("arguments"), Json.parse(shownArguments));
    assertTrue(shownArguments.contains("\n  \""), "not pretty-printed: " + shownArguments);
    Files.createDirectories(REPORTS);
    screenshot(REPORTS.resolve("console-approvals.png"));

    decideInThePanel(wait, approved, "approve", "numbers checked");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-message"),
        "Approved calculator (a1) for intent " + approved));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#approval-list li"), 0));
    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "succeeded"));
    assertTrue(browser.findElement(By.id("intent-outcome")).getText().contains("397.8"));
    assertFalse(browser.findElement(By.id("intent-awaiting")).isDisplayed());
    JsonNode decided = approvalOver(approved);
    assertEquals("approved", decided.get("status").asText(), decided.toString());
    assertEquals("numbers checked", decided.get("comment").asText(), decided.toString());

    // Rejected: the model gets the rejection as the call's result, and says so.
    String rejected = submitFromTheForm(wait, APPROVAL_INTENT);
    wait.until(ExpectedConditions.textToBe(By.id("intent-title"), rejected));
    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "awaiting_approval"));
    wait.until(d -> !d.findElements(approvalItem(rejected)).isEmpty());
    decideInThePanel(wait, rejected, "reject", "not today");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-message"), "Rejected calculator"));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#approval-list li"), 0));
    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "succeeded"));
    String outcome = browser.findElement(By.id("intent-outcome")).getText();
    assertTrue(outcome.contains("rejected by a person: not today"), outcome);
    assertEquals("rejected", approvalOver(rejected).get("status").asText());

    // Decided elsewhere while the panel still shows it: the click gets 409, said in the panel.
    // The panel's list reads are blocked so that no reload removes the item before the click.
    String elsewhere = submitFromTheForm(wait, APPROVAL_INTENT);
    wait.until(d -> !d.findElements(approvalItem(elsewhere)).isEmpty());
    ChromeDriver chrome = (ChromeDriver) browser;
    chrome.executeCdpCommand("Network.enable", Map.of());
    chrome.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of("*/v1/approvals?status=pending")));
    var decidedElsewhere = node.post("/v1/intents/" + elsewhere + "/approvals", "{\"approvalId\":\""
        + pendingOver(elsewhere).get("id").asText() + "\",\"decision\":\"approve\"}");
    assertEquals(200, decidedElsewhere.statusCode(), decidedElsewhere.body());
    decideInThePanel(wait, elsewhere, "reject", null);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-message"),
        "Already decided: calculator (a1) for intent " + elsewhere));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#approval-list li"), 0));
    chrome.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of()));
    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "succeeded"));
    assertEquals("approved", approvalOver(elsewhere).get("status").asText());
  }

  @Test
  void aKeyWithoutApprovalsWriteIsToldSoInThePanelAndAnotherKeyApproves() throws Exception {
    String reader = "tk-reader-7c1d2e3f4a";
    String approver = "tk-approver-9e8d7c6b5a";
    node = TestNode.start(dir.resolve("data"), Map.of(
        "troupe.http.api-keys", "ops:" + sha256(reader) + ":intents.write+intents.read,"
            + "ops:" + sha256(approver) + ":intents.write+intents.read+approvals.write",
        "troupe.guardrail.require-approval", List.of("calculator"),
        "troupe.vector-store.embedder", "hashing"));
    browser = chromium(dir.resolve("profile"));
    WebDriverWait wait = waitUpTo(Duration.ofSeconds(60));

    browser.get(node.base + "/console");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-empty"), "Paste an API key"));
    useKey(wait, reader);
    String id = submitFromTheForm(wait, APPROVAL_INTENT);
    wait.until(d -> !d.findElements(approvalItem(id)).isEmpty());

    decideInThePanel(wait, id, "approve", null);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-message"),
        "Not allowed: deciding needs an API key with the approvals.write scope"));
    wait.until(d -> d.findElement(approvalItem(id)).findElement(By.cssSelector("button.approve")).isEnabled());
    assertEquals("awaiting_approval", browser.findElement(By.id("intent-status")).getText());

    browser.findElement(By.id("key-forget")).click();
    useKey(wait, approver);
    decideInThePanel(wait, id, "approve", null);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-message"), "Approved calculator"));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#approval-list li"), 0));
    wait.until(ExpectedConditions.textToBe(By.id("intent-status"), "succeeded"));
  }

  private String submitFromTheForm(WebDriverWait wait, String text) {
    String before = browser.getCurrentUrl();
    WebElement field = browser.findElement(By.id("submit-text"));
    field.clear();
    field.sendKeys(text);
    browser.findElement(By.id("submit-button")).click();
    wait.until(d -> !d.getCurrentUrl().equals(before) && d.getCurrentUrl().matches(".*/console#/intents/[^/]+$"));
    return browser.getCurrentUrl().replaceFirst(".*#/intents/", "");
  }

  private void useKey(WebDriverWait wait, String key) {
    browser.findElement(By.id("api-key")).sendKeys(key);
    browser.findElement(By.cssSelector("#key-form button[type='submit']")).click();
    wait.until(ExpectedConditions.textToBe(By.id("key-state"), "key set for this tab"));
  }

  /** Types the comment and clicks inside one wait: the list may redraw in between. */
  private void decideInThePanel(WebDriverWait wait, String intentId, String decision, String comment) {
    wait.until(d -> {
      WebElement item = d.findElement(approvalItem(intentId));
      WebElement button = item.findElement(By.cssSelector("button." + decision));
      if (!button.isEnabled()) return false;
      if (comment != null) {
        WebElement field = item.findElement(By.cssSelector("input.comment"));
        field.clear();
        field.sendKeys(comment);
      }
      button.click();
      return true;
    });
  }

  private static By approvalItem(String intentId) {
    return By.cssSelector("#approval-list li[data-intent-id='" + intentId + "']");
  }

  /** The intent's one pending approval, as GET /v1/approvals lists it. */
  private JsonNode pendingOver(String intentId) throws Exception {
    for (JsonNode a : TestNode.json(node.get("/v1/approvals?status=pending")).get("approvals")) {
      if (a.get("intentId").asText().equals(intentId)) return a;
    }
    throw new AssertionError("no pending approval for " + intentId);
  }

  private JsonNode approvalOver(String intentId) throws Exception {
    for (JsonNode a : TestNode.json(node.get("/v1/approvals?status=all")).get("approvals")) {
      if (a.get("intentId").asText().equals(intentId)) return a;
    }
    throw new AssertionError("no approval for " + intentId);
  }

  /** Two tool bars whose spans overlap in time, drawn on two rows with overlapping extents; else null. */
  private static List<WebElement> overlappingToolBars(WebDriver d) {
    List<WebElement> bars = d.findElements(By.cssSelector("#timeline .bar[data-kind='tool']"));
    for (WebElement a : bars) {
      for (WebElement b : bars) {
        if (a.equals(b)) continue;
        long aStart = Long.parseLong(a.getAttribute("data-start"));
        long aEnd = Long.parseLong(a.getAttribute("data-end"));
        long bStart = Long.parseLong(b.getAttribute("data-start"));
        long bEnd = Long.parseLong(b.getAttribute("data-end"));
        Rectangle ra = a.getRect();
        Rectangle rb = b.getRect();
        boolean inTime = aStart < bEnd && bStart < aEnd;
        boolean onScreen = ra.getX() < rb.getX() + rb.getWidth() && rb.getX() < ra.getX() + ra.getWidth()
            && ra.getY() != rb.getY() && a.isDisplayed() && b.isDisplayed();
        if (inTime && onScreen) return List.of(a, b);
      }
    }
    return null;
  }

  private WebDriverWait waitUpTo(Duration timeout) {
    WebDriverWait wait = new WebDriverWait(browser, timeout, Duration.ofMillis(100));
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  /** Headless Chromium with a fresh profile and nothing that reaches outside this machine. */
  private static WebDriver chromium(Path profile) throws Exception {
    Files.createDirectories(profile);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1500", "--user-data-dir=" + profile.toAbsolutePath());
    Files.createDirectories(REPORTS);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(new File(REPORTS.resolve("chromedriver.log").toString()))
        .build();
    return new ChromeDriver(service, options);
  }

  private void screenshot(Path file) throws Exception {
    byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    Files.write(file, png);
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }
}
