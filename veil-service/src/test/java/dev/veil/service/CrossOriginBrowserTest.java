package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Issue 22 in a real browser (headless chromium, as {@link PageBrowserTest}): the service on loopback without API keys,
 * as a user runs it, and a web page of another site the same user opens. The page's script posts a prompt to the
 * service every way a page can (fetch with text/plain, with JSON after a preflight, no-cors, a text/plain form into
 * a frame), and a page on a rebound name (the attacker's name resolved to 127.0.0.1, as DNS rebinding does) posts to
 * it as its own origin. No answer can be read and no session starts; the node's own page still works.
 */
class CrossOriginBrowserTest {
    static final String BODY = "{\"model\": \"stories260K.bin\", \"prompt\": \"Once\", \"max_tokens\": 3}";

    /** The other site's page: each attempt's outcome as the page sees it, in #out, as JSON. */
    static String attackerPage(String node) {
        return """
            <!doctype html><html><body>
            <iframe name="sink"></iframe>
            <form method="POST" enctype="text/plain" target="sink" action="NODE/v1/completions">
              <input type="hidden" name='{"model": "stories260K.bin", "prompt": "Once", "max_tokens": 3, "user": "' value='"}'>
            </form>
            <pre id="out"></pre>
            <script>
            const node = 'NODE', body = JSON.stringify({model: 'stories260K.bin', prompt: 'Once', max_tokens: 3}), out = {};
            async function attempt(name, init) {
              try {
                const r = await fetch(node + '/v1/completions', Object.assign({method: 'POST', body}, init));
                out[name] = r.type === 'opaque' ? 'opaque' : 'read ' + r.status + ' ' + await r.text();
              } catch (e) {
                out[name] = 'failed: ' + e.name;
              }
            }
            (async () => {
              await attempt('text', {headers: {'Content-Type': 'text/plain'}});
              await attempt('json', {headers: {'Content-Type': 'application/json'}});
              await attempt('no-cors', {mode: 'no-cors', headers: {'Content-Type': 'text/plain'}});
              document.forms[0].submit();
              for (;;) { // the frame turns cross-origin (unreadable) once the service's answer has come
                try { frames.sink.document; } catch (e) { break; }
                await new Promise(r => setTimeout(r, 50));
              }
              out.form = 'submitted';
              document.getElementById('out').textContent = JSON.stringify(out);
            })();
            </script></body></html>
            """.replace("NODE", node);
    }

    @Test
    void anotherSitesPageCannotDriveTheServiceAndTheServicesOwnPageStillWorks() throws Exception {
        PageBrowserTest.assumeBrowser("CrossOriginBrowserTest");
        HttpServer attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        try (var t = TestService.start(null, 4, 16, 20, Double.POSITIVE_INFINITY, "plain")) {
            byte[] page = attackerPage(t.base).getBytes(StandardCharsets.UTF_8);
            attacker.createContext("/", ex -> {
                ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                ex.sendResponseHeaders(200, page.length);
                try (ex; var o = ex.getResponseBody()) {
                    o.write(page);
                }
            });
            attacker.start();
            // attacker.test: another site; rebound.test: the attacker's name after it was rebound to the service's address
            WebDriver browser = PageBrowserTest.browser("--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebound.test 127.0.0.1");
            try {
                var wait = new WebDriverWait(browser, Duration.ofSeconds(120));
                browser.get("http://attacker.test:" + attacker.getAddress().getPort() + "/");
                wait.until(d -> !d.findElement(By.id("out")).getText().isEmpty());
                JsonNode seen = TestService.JSON.readTree(browser.findElement(By.id("out")).getText());
                assertEquals(Map.of("text", "failed: TypeError", "json", "failed: TypeError", "no-cors", "opaque", "form", "submitted"),
                        TestService.JSON.convertValue(seen, Map.class), "the page read nothing");
                assertEquals(0, t.service.counters()[0], "no session started for the other site's page");

                // DNS rebinding: to the browser the service is the attacker's own origin, so an answer would be readable
                browser.get("http://rebound.test:" + t.service.port() + "/");
                String script = "fetch('/v1/completions', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '"
                        + BODY + "'}).then(async r => arguments[0](r.status + ' ' + await r.text()), e => arguments[0](e.name))";
                String rebound = (String) ((JavascriptExecutor) browser).executeAsyncScript(script);
                assertTrue(rebound.startsWith("421 ") && rebound.contains("misdirected_request"), rebound);
                assertEquals(0, t.service.counters()[0], "no session started for the rebound page");

                browser.get(t.base + "/"); // the service's own page, same origin: served
                wait.until(d -> d.findElements(By.cssSelector("#scheme option")).size() == 1);
                var turn = PageBrowserTest.send(browser, wait, "plain", "Lily", 1);
                assertEquals(TestService.greedy("Lily", 40), turn.findElement(By.className("answer")).getText().stripTrailing());
                assertEquals(1, t.service.counters()[0], "the page's own request ran");
            } finally {
                browser.quit();
            }
        } finally {
            attacker.stop(0);
        }
    }
}
