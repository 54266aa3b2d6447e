package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real headless browser: Debian's chromium and chromedriver (bin/ci-deps.sh installs them) through
 * Selenium. Types a prompt, waits for the streamed answer and the weights server's view, for plain (no weights server;
 * the attack reads the prompt back), remo-otp (it does not) and cmif (the model continued the sanitized prompt, and
 * the card says so); the turns read as a conversation, the newest just above the prompt box, which stays in view;
 * keeps a screenshot in target/.
 */
class PageBrowserTest {
    /**
     * Selenium looks for a DevTools (CDP) binding for this Chromium's version and warns that it has none; the test
     * drives the browser through WebDriver only and never uses CDP. Held here so that the level sticks.
     */
    static final java.util.logging.Logger CDP = java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP.setLevel(java.util.logging.Level.SEVERE);
    }

    static final Path CHROMIUM = Path.of(System.getProperty("veil.chromium", "/usr/bin/chromium")),
            DRIVER = Path.of(System.getProperty("veil.chromedriver", "/usr/bin/chromedriver"));

    /** Skips the calling test, saying so in one line, where chromium or chromedriver is missing. */
    static void assumeBrowser(String test) {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER), () -> {
            String why = test + " skipped: " + CHROMIUM + " or " + DRIVER + " is missing (bin/ci-deps.sh installs them)";
            System.err.println("veil: " + why);
            return why;
        });
    }

    /** Headless chromium through chromedriver, with {@code args} besides the usual ones. */
    static WebDriver browser(String... args) {
        var options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new", "--no-sandbox",
                "--disable-dev-shm-usage", "--window-size=1400,900").addArguments(args);
        var service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
        return new ChromeDriver(service, options);
    }

    @Test
    void thePageStreamsAnswersAndShowsWhatTheServerSaw() throws Exception {
        assumeBrowser("PageBrowserTest");
        String prompt = "Once upon a time, Lily";
        try (var t = TestService.start(null, 4, 16, 20, Double.POSITIVE_INFINITY, "remo-otp", "plain", "remo", "cmif")) {
            WebDriver browser = browser();
            try {
                browser.get(t.base + "/");
                var wait = new WebDriverWait(browser, Duration.ofSeconds(120));
                wait.until(d -> d.findElements(By.cssSelector("#scheme option")).size() == 4);

                WebElement plain = send(browser, wait, "plain", prompt, 1);
                String expected = TestService.greedy(prompt, 40);
                assertEquals(expected, plain.findElement(By.className("answer")).getText().stripTrailing().replace("\n", "\n"),
                        "the streamed answer is the greedy text");
                assertTrue(plain.findElement(By.className("attack")).getText().contains("100% of the prompt tokens recovered"),
                        plain.findElement(By.className("attack")).getText());
                assertEquals(prompt, plain.findElement(By.className("recovered")).getText());
                // Unprotected, the server's input is the plain input: the two pictures are the same pixels.
                var js = (org.openqa.selenium.JavascriptExecutor) browser;
                String pictures = "const all = document.querySelectorAll('#turns .turn'), t = all[all.length - 1];"
                        + "return [t.querySelector('canvas.plain').toDataURL(), t.querySelector('canvas.received').toDataURL()];";
                var urls = (java.util.List<?>) js.executeScript(pictures);
                assertEquals(urls.get(0), urls.get(1), "plain: the server received the plain input");

                WebElement otp = send(browser, wait, "remo-otp", prompt, 2);
                assertEquals(expected, otp.findElement(By.className("answer")).getText().stripTrailing());
                String recovered = otp.findElement(By.className("recovered")).getText();
                assertNotEquals(prompt, recovered);
                var otpUrls = (java.util.List<?>) js.executeScript(pictures);
                assertNotEquals(otpUrls.get(0), otpUrls.get(1), "remo-otp: the server received something else");
                assertTrue(otp.findElement(By.className("report")).getText().contains("remo-otp"));
                assertTrue(otp.findElement(By.tagName("h2")).getText().startsWith("what the weights server received"));
                assertTrue(otp.findElement(By.className("report")).getText().contains("calls to the weights server"));
                assertFalse(otp.findElement(By.className("sanitized")).isDisplayed(), "only cmif sanitizes the prompt");

                // plain: no weights server is involved, and the card says so rather than "calls to the weights server 0"
                String plainCard = plain.findElement(By.className("view")).getText();
                assertTrue(plain.findElement(By.tagName("h2")).getText().startsWith("no weights server: the model runs in the clear"),
                        plainCard);
                assertFalse(plainCard.contains("what the weights server received") || plainCard.contains("calls to the weights server"),
                        plainCard);
                assertTrue(plainCard.contains("nothing leaves the node"), plainCard);

                // cmif: the model continued the sanitized prompt; the card shows it and says so
                WebElement cmif = send(browser, wait, "cmif", "Lily", 3);
                WebElement sanitized = cmif.findElement(By.className("sanitized"));
                assertTrue(sanitized.isDisplayed(), cmif.getText());
                assertTrue(sanitized.getText().startsWith("The model saw the sanitized prompt"), sanitized.getText());
                String shown = cmif.findElement(By.className("server-prompt")).getText();
                assertTrue(!shown.isBlank() && cmif.findElement(By.className("report")).getText()
                        .contains("prompt the model saw (sanitized)\n" + shown), cmif.getText());
                assertTrue(sanitized.getText().contains("the answer below continues that text"), sanitized.getText());
                String report = cmif.findElement(By.className("report")).getText(); // the verbatim share first, then ε
                assertTrue(report.matches("(?s)sent verbatim\n\\d+% of prompt tokens sent verbatim \\(\\d+ of \\d+\\).*\nprivacy\n.*"),
                        report);

                // a conversation: oldest first, the newest turn just above the prompt box, both in view
                var turns = browser.findElements(By.cssSelector("#turns .turn"));
                assertEquals(List.of("plain", "remo-otp", "cmif"), turns.stream().map(turn -> turn.findElement(By.className("scheme"))
                        .getText().replaceAll("[()]", "")).toList(), "the turns in the order they were asked");
                String layout = "const turns = document.querySelectorAll('#turns .turn'), last = turns[turns.length - 1];"
                        + "const main = document.getElementById('turns').getBoundingClientRect();"
                        + "const t = last.getBoundingClientRect(), f = document.getElementById('ask').getBoundingClientRect();"
                        + "return [t.top >= main.top - 1 && t.bottom <= main.bottom + 1, t.bottom <= f.top,"
                        + " f.top >= 0 && f.bottom <= window.innerHeight, document.getElementById('turns').scrollHeight > main.height];";
                assertEquals(List.of(true, true, true, true), js.executeScript(layout),
                        "the newest turn is scrolled into view just above the prompt box, which stays in the window (turns overflow)");
                Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
                Files.createDirectories(Path.of("target"));
                Files.copy(shot, Path.of("target", "serve-page.png"), StandardCopyOption.REPLACE_EXISTING);
            } finally {
                browser.quit();
            }
        }
    }

    /** Picks a scheme, sends the prompt, waits for the answer's server view; returns the new turn. */
    static WebElement send(WebDriver browser, WebDriverWait wait, String scheme, String prompt, int turns) {
        new Select(browser.findElement(By.id("scheme"))).selectByValue(scheme);
        WebElement box = browser.findElement(By.id("prompt"));
        box.clear();
        box.sendKeys(prompt);
        browser.findElement(By.id("send")).click();
        wait.until(d -> d.findElements(By.cssSelector(".turn[data-done]")).size() == turns);
        var all = browser.findElements(By.cssSelector("#turns .turn"));
        WebElement turn = all.getLast(); // the newest turn is the last, just above the prompt box
        assertEquals("true", turn.getDomAttribute("data-done"), turn.getText());
        return turn;
    }

}
