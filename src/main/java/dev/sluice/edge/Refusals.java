package dev.sluice.edge;

import dev.sluice.admission.Refusal;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The HTTP answer to an admission refusal: its status, its message, and Retry-After when it has one. */
final class Refusals {

    private Refusals() {}

    static FullHttpResponse response(Refusal refusal) {
        FullHttpResponse res = Responses.error(HttpResponseStatus.valueOf(refusal.status()), refusal.message());
        if (refusal.hasRetryAfter()) {
            res.headers().set(HttpHeaderNames.RETRY_AFTER, refusal.retryAfterSeconds());
        }
        return res;
    }
}
