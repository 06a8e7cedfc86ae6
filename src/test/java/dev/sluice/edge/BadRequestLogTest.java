package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The bad-request log's rate limit and line hygiene, on a clock the test moves. */
class BadRequestLogTest {

    private final AtomicLong now = new AtomicLong(123_456_789L);
    private final List<String> lines = new ArrayList<>();
    private final BadRequestLog log = new BadRequestLog(now::get, lines::add);

    @Test
    void aBurstIsLoggedThenOneLinePerSecondSayingHowManyWereLeftOut() {
        for (int i = 0; i < BadRequestLog.BURST + 7; i++) {
            log.warn("/10.0.0.1:1234", 400, "bad " + i);
        }
        assertThat(lines).hasSize(BadRequestLog.BURST);
        assertThat(lines.get(0)).isEqualTo("bad request from /10.0.0.1:1234, answered 400: bad 0");

        now.addAndGet(BadRequestLog.REFILL_NANOS / 2);
        log.warn("/10.0.0.1:1234", 400, "too soon");
        assertThat(lines).hasSize(BadRequestLog.BURST);

        now.addAndGet(BadRequestLog.REFILL_NANOS / 2);
        log.warn("/10.0.0.1:1234", 413, "next");
        assertThat(lines).hasSize(BadRequestLog.BURST + 1);
        assertThat(lines.getLast()).isEqualTo(
                "bad request from /10.0.0.1:1234, answered 413: next (8 more bad requests were not logged)");

        now.addAndGet(100 * BadRequestLog.REFILL_NANOS);
        for (int i = 0; i < BadRequestLog.BURST; i++) {
            log.warn("/10.0.0.1:1234", 400, "again " + i);
        }
        assertThat(lines).hasSize(2 * BadRequestLog.BURST + 1).last().asString().doesNotContain("not logged");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "plain|plain",
        "'  trailing newline\n'|trailing newline",
        "'forged\nWARN line\r'|forged?WARN line",
        "'tab\there'|tab?here"})
    void reasonsBecomeOneLine(String reason, String logged) {
        assertThat(BadRequestLog.oneLine(reason)).isEqualTo(logged);
    }

    @Test
    void longReasonsAreCut() {
        assertThat(BadRequestLog.oneLine("x".repeat(1000))).hasSize(303).endsWith("...");
    }
}
