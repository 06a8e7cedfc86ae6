package dev.sluice.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.browser.Chromium;
import dev.sluice.support.GatewayProcess;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@code sluice serve --demo --dashboard} in a process of its own, its pages in headless Chromium
 * driven by Selenium WebDriver through Debian's {@code chromedriver} (package {@code chromium-driver}):
 * quotes reach the board, the chart draws bars, choosing a symbol changes what the chart stream
 * receives, the drop button leads to a resume with no gap, and the dashboard shows the connection
 * count the server's {@code /metrics} shows.
 *
 * <p>With {@code -Dsluice.screenshots=DIR} it also saves the screenshots used in the README.
 *
 * <p>The driver is the installed one, never a download: the service is given its path, so Selenium
 * Manager is not asked for one. Without chromium or chromedriver the test is skipped, saying which
 * is missing, except with {@code CI=true} (where {@code ./test} installs both), where that fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The test speaks WebDriver only, never the DevTools protocol, so Selenium's notice that it has
     * no DevTools binding for this Chromium's version says nothing; held here so the level stays.
     */
    private static final java.util.logging.Logger CDP_NOTICES = java.util.logging.Logger.getLogger(
            "org.openqa.selenium.devtools.CdpVersionFinder");

    private static GatewayProcess gateway;
    private static WebDriver page;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        Path binary = Chromium.require();
        Path chromedriver = requireChromedriver();
        gateway = GatewayProcess.launch(List.of(), "memory", "--demo", "--dashboard", "--demo-symbols",
                "AAPL,MSFT,NVDA,TSLA,KO,JPM", "--demo-rate", "6", "--dashboard-interval", "500ms");
        base = "http://127.0.0.1:" + gateway.awaitPort();
        Thread.sleep(3_000); // a few seconds of bars in history, so the chart fills on connect
        CDP_NOTICES.setLevel(java.util.logging.Level.SEVERE);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binary.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,860", "--hide-scrollbars");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        page = new ChromeDriver(service, options);
        page.manage().timeouts().scriptTimeout(Duration.ofSeconds(10)).pageLoadTimeout(Duration.ofSeconds(30));
        page.get(base + "/?symbol=AAPL");
    }

    /**
     * Debian's chromedriver; skips the calling test when there is none, except with {@code CI=true}
     * (where {@code ./test} installs it), where that is a failure.
     */
    private static Path requireChromedriver() {
        Path driver = Files.isExecutable(Path.of("/usr/bin/chromedriver")) ? Path.of("/usr/bin/chromedriver") : null;
        if (driver == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("chromedriver is required in CI (the test script installs chromium-driver)");
        }
        Assumptions.assumeTrue(driver != null, "chromedriver is not installed: apt-get install chromium-driver");
        return driver;
    }

    @AfterAll
    static void stop() throws Exception {
        if (page != null) {
            page.quit();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    /** The value of a JavaScript expression in the page, as JSON. */
    private static JsonNode js(String expression) throws Exception {
        Object json = ((JavascriptExecutor) page).executeScript("return JSON.stringify((" + expression + "));");
        return JSON.readTree(json == null ? "null" : (String) json);
    }

    /** Runs JavaScript statements in the page. */
    private static void run(String statements) {
        ((JavascriptExecutor) page).executeScript(statements);
    }

    /** Waits until {@code condition} holds; a failed check is retried until the time is up. */
    private static void waitUntil(Duration atMost, Callable<Boolean> condition) {
        new WebDriverWait(page, atMost, Duration.ofMillis(100)).ignoring(AssertionError.class).until(d -> {
            try {
                return condition.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Waits until the checks in {@code assertions} pass; the last failure is the cause of the timeout. */
    private static void waitUntilAsserted(Duration atMost, ThrowingRunnable assertions) {
        waitUntil(atMost, () -> {
            assertions.run();
            return true;
        });
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static int counter(String name) throws Exception {
        return js("+document.getElementById('status').dataset." + name).asInt();
    }

    @Test
    @Order(1)
    void quotesArriveAndTheBoardUpdates() throws Exception {
        waitUntil(Duration.ofSeconds(20), () -> js("document.querySelectorAll('#board tr[data-seq]').length")
                .asInt() == 6);
        JsonNode before = js("Object.fromEntries([...document.querySelectorAll('#board tr[data-symbol]')]"
                + ".map(r => [r.dataset.symbol, +r.dataset.seq]))");
        waitUntilAsserted(Duration.ofSeconds(20), () -> {
            JsonNode after = js("Object.fromEntries([...document.querySelectorAll('#board tr[data-symbol]')]"
                    + ".map(r => [r.dataset.symbol, +r.dataset.seq]))");
            for (String symbol : List.of("AAPL", "MSFT", "NVDA", "TSLA", "KO", "JPM")) {
                assertThat(after.path(symbol).asLong()).as(symbol + " moved on").isGreaterThan(before.path(symbol).asLong());
            }
        });
        String last = js("document.querySelector('#board tr[data-symbol=\"AAPL\"] td:nth-child(2)').textContent").asText();
        assertThat(last).matches("\\d+\\.\\d\\d");
        // The counters are written at most every 100 ms, after the rows.
        waitUntil(Duration.ofSeconds(5), () -> counter("quotes") > 12);
        assertThat(js("document.getElementById('connection').dataset.state").asText()).isEqualTo("open");
    }

    @Test
    @Order(2)
    void theChartDrawsOneSecondBarsFilledFromHistory() throws Exception {
        waitUntil(Duration.ofSeconds(20), () -> js("+document.getElementById('chart').dataset.bars").asInt() >= 5);
        assertThat(js("document.getElementById('chart').dataset.symbol").asText()).isEqualTo("AAPL");
        // Candles are drawn in green (up) or red (down): count such pixels on the canvas.
        int coloured = js("""
                (() => { const c = document.getElementById('chart');
                  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                  for (let i = 0; i < d.length; i += 4) {
                    const r = d[i], g = d[i + 1], b = d[i + 2];
                    if ((g > 150 && r < 90 && b < 150) || (r > 200 && g < 110 && b < 110)) n++;
                  }
                  return n; })()""").asInt();
        assertThat(coloured).as("candle pixels").isGreaterThan(100);
        if (System.getProperty("sluice.screenshots") != null) {
            Thread.sleep(8_000); // a fuller chart for the picture
            save("demo.png", ((TakesScreenshot) page).getScreenshotAs(OutputType.BYTES));
        }
    }

    @Test
    @Order(3)
    void choosingASymbolChangesWhatTheChartReceives() throws Exception {
        run("const p = document.getElementById('symbol'); p.value = 'NVDA'; p.dispatchEvent(new Event('change'));");
        waitUntil(Duration.ofSeconds(20), () -> js("+document.getElementById('chart').dataset.bars").asInt() >= 3
                && js("document.getElementById('chart').dataset.symbol").asText().equals("NVDA"));
        assertThat(js("window.sluiceDemo.chartSymbols()").toString()).isEqualTo("[\"NVDA\"]");
        String url = java.net.URLDecoder.decode(js("window.sluiceDemo.chartUrl()").asText(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(url).contains("https://sluice.example/bars/1s/NVDA").doesNotContain("AAPL");
        assertThat(js("document.querySelector('#board tr.selected').dataset.symbol").asText()).isEqualTo("NVDA");
    }

    @Test
    @Order(4)
    void theDropButtonResumesWithNoGap() throws Exception {
        int bars = counter("bars");
        int reconnects = counter("reconnects");
        run("document.getElementById('drop').click();");
        waitUntil(Duration.ofSeconds(5), () -> js("document.getElementById('connection').dataset.state")
                .asText().equals("dropped"));
        waitUntil(Duration.ofSeconds(20), () -> counter("reconnects") >= reconnects + 2
                && js("document.getElementById('connection').dataset.state").asText().equals("open"));
        // The 1.5 s away were replayed from history, then live bars go on, and no bar seq was skipped.
        waitUntil(Duration.ofSeconds(20), () -> counter("bars") >= bars + 4);
        assertThat(counter("replayed")).as("updates replayed after the drop").isPositive();
        assertThat(counter("gaps")).as(js("window.sluiceDemo.gapLog").toString()).isZero();
        assertThat(counter("duplicates")).as("bars received twice").isZero();
        assertThat(js("document.getElementById('gaps').textContent").asText()).isEqualTo("0");
        assertThat(js("document.getElementById('connection-text').textContent").asText()).contains("replayed");
    }

    @Test
    @Order(5)
    void theDashboardShowsTheConnectionCountOfTheServer() throws Exception {
        // Three subscribers from outside the browser, then the dashboard replaces the board.
        HttpClient http = HttpClient.newHttpClient();
        List<InputStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                HttpResponse<InputStream> res = http.send(HttpRequest.newBuilder(URI.create(base
                        + "/.well-known/mercure?topic=https%3A%2F%2Fsluice.example%2Fquotes%2FKO")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(res.statusCode()).isEqualTo(200);
                streams.add(res.body());
            }
            page.get(base + "/dashboard");
            waitUntil(Duration.ofSeconds(20), () -> js("location.pathname + ' ' + (document.body"
                    + " && document.body.dataset.samples || 0)").asText().matches("/dashboard [1-9]\\d*"));
            waitUntilAsserted(Duration.ofSeconds(20), () -> {
                long server = subscribersOnServer(http);
                String shown = js("document.getElementById('v-connections').dataset.value").asText();
                assertThat(server).isEqualTo(3);
                assertThat(shown).isEqualTo(Long.toString(server));
            });
            waitUntilAsserted(Duration.ofSeconds(20), () -> {
                assertThat(js("+document.getElementById('v-updates').dataset.value").asDouble()).isGreaterThan(10);
                assertThat(js("document.getElementById('v-publish-latency').dataset.value").asText()).isNotEmpty();
            });
            if (System.getProperty("sluice.screenshots") != null) {
                Thread.sleep(30_000); // half a minute of lines
                save("dashboard.png", ((TakesScreenshot) page).getScreenshotAs(OutputType.BYTES));
            }
            streams.get(0).close();
            waitUntilAsserted(Duration.ofSeconds(20), () -> {
                assertThat(subscribersOnServer(http)).isEqualTo(2);
                assertThat(js("document.getElementById('v-connections').dataset.value").asText()).isEqualTo("2");
            });
        } finally {
            for (InputStream s : streams) {
                s.close();
            }
        }
    }

    private static long subscribersOnServer(HttpClient http) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^sluice_subscribers (\\S+)$").matcher(metrics);
        assertThat(m.find()).as("sluice_subscribers in /metrics").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }

    private static void save(String name, byte[] png) throws Exception {
        Path dir = Path.of(System.getProperty("sluice.screenshots"));
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), png);
    }
}
