package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
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
 * Selenium. Types a prompt, waits for the streamed answer and the weights server's view, for plain (the attack
 * reads the prompt back) and remo-otp (it does not); keeps a screenshot in target/.
 */
class PageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium"), DRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void thePageStreamsAnswersAndShowsWhatTheServerSaw() throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
            System.err.println("!!! PageBrowserTest SKIPPED: " + CHROMIUM + " or " + DRIVER
                    + " is missing; run bin/ci-deps.sh (apt-get install "
                    + "chromium chromium-driver) to test the page in a real browser !!!");
            Assumptions.abort("chromium or chromedriver missing");
        }
        String prompt = "Once upon a time, Lily";
        try (var t = TestService.start(null, 4, 16, 20, Double.POSITIVE_INFINITY, "remo-otp", "plain", "remo", "cmif")) {
            var options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new", "--no-sandbox",
                    "--disable-dev-shm-usage", "--window-size=1400,1000");
            var service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
            WebDriver browser = new ChromeDriver(service, options);
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
                String pictures = "const t = document.querySelector('.turn');"
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
                Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
                Files.createDirectories(Path.of("target"));
                Files.copy(shot, Path.of("target", "serve-page.png"), StandardCopyOption.REPLACE_EXISTING);
            } finally {
                browser.quit();
            }
        }
    }

    /** Picks a scheme, sends the prompt, waits for the answer's server view; returns the new turn. */
    private static WebElement send(WebDriver browser, WebDriverWait wait, String scheme, String prompt, int turns) {
        new Select(browser.findElement(By.id("scheme"))).selectByValue(scheme);
        WebElement box = browser.findElement(By.id("prompt"));
        box.clear();
        box.sendKeys(prompt);
        browser.findElement(By.id("send")).click();
        wait.until(d -> d.findElements(By.cssSelector(".turn[data-done]")).size() == turns);
        WebElement turn = browser.findElement(By.cssSelector(".turn"));
        assertEquals("true", turn.getDomAttribute("data-done"), turn.getText());
        return turn;
    }

}
