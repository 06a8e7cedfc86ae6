package dev.sluice.edge;

import dev.sluice.admission.Refusal;
import dev.sluice.admission.RequestLimits;
import dev.sluice.auth.MercureClaims;
import dev.sluice.topic.SelectorCache;
import dev.sluice.topic.TopicSelector;
import dev.sluice.metrics.GatewayMetrics;
import dev.sluice.topic.Update;
import dev.sluice.transport.Transport;
import dev.sluice.transport.TransportUnavailableException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code POST /.well-known/mercure}: validates a form-encoded update, checks the publisher may
 * publish to every topic, appends it to the transport's log and answers with its id once the log
 * has it.
 *
 * <p>Nothing a publisher sends can inject SSE fields: ids, types and retry values that could
 * break a line are refused with a 400 saying which field was wrong; data is split into lines by
 * the encoder.
 */
final class PublishEndpoint {

    /** The most form fields one update may carry (topics included). */
    static final int MAX_FIELDS = 1024;

    private final Transport transport;
    private final Access access;
    private final Cors cors;
    private final SelectorCache selectors;
    private final GatewayMetrics stats;
    private final int maxTopicLength;
    /** With --subscriptions, the hub's own topics (subscription events, node leases) are not for publishers. */
    private final boolean subscriptionTopicsReserved;
    private final boolean allowNonAsciiIds;
    private final BadRequestLog badRequests;
    private final RequestLimits limits;
    private final String hubUrl;
    private final dev.sluice.topic.HubNamespace reserved;

    PublishEndpoint(Transport transport, Access access, Cors cors, SelectorCache selectors, GatewayMetrics stats,
                    int maxTopicLength, boolean allowNonAsciiIds, BadRequestLog badRequests,
                    boolean subscriptionTopicsReserved, RequestLimits limits) {
        this.subscriptionTopicsReserved = subscriptionTopicsReserved;
        this.badRequests = badRequests;
        this.limits = limits;
        this.hubUrl = selectors.baseUrl() != null ? selectors.baseUrl() : dev.sluice.config.Config.DEFAULT_HUB_URL;
        this.reserved = new dev.sluice.topic.HubNamespace(hubUrl);
        this.maxTopicLength = maxTopicLength;
        this.allowNonAsciiIds = allowNonAsciiIds;
        this.transport = transport;
        this.access = access;
        this.cors = cors;
        this.selectors = selectors;
        this.stats = stats;
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query) {
        long started = System.nanoTime();
        String contentType = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).trim()
                .startsWith("application/x-www-form-urlencoded")) {
            refuse(ctx, req, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type must be application/x-www-form-urlencoded (got "
                            + (contentType == null ? "none" : "'" + contentType + "'") + ").");
            return;
        }
        CompletableFuture<Access.Result> checked = access.publisher(req, query);
        Access.whenChecked(ctx, req, checked, who -> authorised(ctx, req, who, started));
    }

    private void authorised(ChannelHandlerContext ctx, FullHttpRequest req, Access.Result who, long started) {
        if (!who.ok()) {
            refuse(ctx, req, HttpResponseStatus.valueOf(who.status()), who.refusal(), who.challenge());
            return;
        }
        Update update;
        try {
            update = parse(req);
            ResponseObserver.topics(ctx.pipeline(), update.topics().size());
            checkAllowed(who.claims(), update);
        } catch (BadUpdate e) {
            if (e.malformed) {
                badRequests.warn(ctx, e.status.code(), e.getMessage());
            }
            refuse(ctx, req, e.status, e.getMessage(),
                    e.status.code() == 403 && who.claims().accessToken() ? Challenges.insufficientScope() : null);
            return;
        }
        transport.publish(update).whenComplete((stored, failure) -> {
            if (failure == null) {
                stats.published.increment();
                // Responses.text answers text/plain; charset=utf-8, as Mercure 1.0 requires.
                var res = Responses.text(HttpResponseStatus.OK, stored.id());
                cors.apply(req.headers(), res.headers());
                Responses.send(ctx, req, res);
                stats.publishLatency.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            } else {
                stats.publishFailures.increment();
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                String message = cause instanceof TransportUnavailableException
                        ? "The update was not stored: " + cause.getMessage() + ". Retry later."
                        : "The update was not stored: " + cause + ". Retry later.";
                refuse(ctx, req, HttpResponseStatus.SERVICE_UNAVAILABLE, message);
            }
        });
    }

    private Update parse(FullHttpRequest req) throws BadUpdate {
        String body;
        try {
            body = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(req.content().nioBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new BadUpdate(400, "The body is not valid UTF-8: send the form as UTF-8 text.", true);
        }
        String badEscape = PercentEncoding.problem(body);
        if (badEscape != null) {
            throw new BadUpdate(400, "The body is not valid application/x-www-form-urlencoded: " + badEscape, true);
        }
        Map<String, List<String>> form;
        try {
            // One more than allowed is decoded, so that too many fields are refused, not cut off:
            // the decoder stops silently at its limit, and a 'private' after it would be lost.
            form = QueryStringDecoder.builder().hasPath(false).maxParams(MAX_FIELDS + 1).semicolonIsNormalChar(true)
                    .build(body).parameters();
        } catch (IllegalArgumentException e) {
            throw new BadUpdate(400, "The body is not valid application/x-www-form-urlencoded: " + e.getMessage(), true);
        }
        if (RequestRouter.count(form) > MAX_FIELDS) {
            throw new BadUpdate(413, "The form has more than " + MAX_FIELDS + " fields; an update may carry at most "
                    + MAX_FIELDS + " (topics included).");
        }
        List<String> topics = form.get("topic");
        if (topics == null || topics.isEmpty()) {
            throw new BadUpdate(400, "Missing 'topic' field: an update needs at least one topic.");
        }
        refuseIf(limits.topicsPerUpdate(topics.size()));
        for (String t : topics) {
            if (t.isEmpty()) {
                throw new BadUpdate(400, "Empty 'topic' field: topics must not be empty.");
            }
            if (t.equals("*")) {
                throw new BadUpdate(400, "Invalid 'topic': '*' is the wildcard of subscriptions, not a topic.");
            }
            if (reserved.reserves(t)) {
                throw new BadUpdate(400, "Invalid 'topic' '" + abbreviate(t) + "': it is in the hub's own namespace ("
                        + "the path of " + hubUrl + " and below), which only the hub publishes to.");
            }
            if (t.length() > maxTopicLength) {
                throw new BadUpdate(413, "A 'topic' is " + t.length() + " characters long; at most " + maxTopicLength
                        + " are allowed (--max-topic-length).");
            }
        }
        String canonical = topics.get(0);
        if (subscriptionTopicsReserved && (canonical.startsWith(dev.sluice.subscriptions.SubscriptionPaths.PREFIX)
                || canonical.startsWith(dev.sluice.subscriptions.SubscriptionRegistry.LEASE_PREFIX))) {
            throw new BadUpdate(400, "Invalid 'topic' '" + abbreviate(canonical) + "': the hub publishes subscription"
                    + " events and node leases there itself (--subscriptions), which only the hub publishes to.");
        }
        String data = first(form, "data");
        String id = first(form, "id");
        if (id != null && id.isEmpty()) {
            id = null;
        }
        if (id != null) {
            refuseIf(limits.idLength(id));
            if (id.startsWith("#")) {
                throw new BadUpdate(400, "Invalid 'id': it must not start with '#' (reserved for hub-generated ids).");
            }
            if (hasLineBreakOrNul(id)) {
                throw new BadUpdate(400, "Invalid 'id': it must not contain CR, LF or NUL.");
            }
            if (id.equals("earliest")) {
                throw new BadUpdate(400, "Invalid 'id': 'earliest' is reserved for resuming from the start.");
            }
            String problem = allowNonAsciiIds ? null : EventIds.nonAsciiProblem(id);
            if (problem != null) {
                throw new BadUpdate(400, problem);
            }
            String bad = SubscribeRequest.forbiddenCharacter(id);
            if (bad != null) {
                throw new BadUpdate(400, "Invalid 'id': it contains " + bad
                        + " (control and format characters are refused: the id travels in Last-Event-ID).");
            }
        }
        String type = first(form, "type");
        refuseIf(limits.typeLength(type));
        if (type != null && hasLineBreakOrNul(type)) {
            throw new BadUpdate(400, "Invalid 'type': it must not contain CR, LF or NUL.");
        }
        if (type != null && SubscribeRequest.forbiddenCharacter(type) != null) {
            throw new BadUpdate(400, "Invalid 'type': it contains " + SubscribeRequest.forbiddenCharacter(type)
                    + " (control and format characters are refused).");
        }
        if ("mercure".equals(type)) {
            throw new BadUpdate(400, "Invalid 'type': 'mercure' is reserved for events the hub generates itself.");
        }
        long retry = -1;
        String retryText = first(form, "retry");
        if (retryText != null && !retryText.isEmpty()) {
            if (!retryText.chars().allMatch(c -> c >= '0' && c <= '9') || retryText.length() > 12) {
                throw new BadUpdate(400, "Invalid 'retry': it must be a whole number of milliseconds (digits only),"
                        + " got '" + abbreviate(retryText) + "'.");
            }
            retry = Long.parseLong(retryText);
        }
        boolean isPrivate = form.containsKey("private");
        return new Update(id == null ? Ids.newId() : id, topics, data == null ? "" : data, isPrivate, type, retry);
    }

    private static void refuseIf(Refusal refusal) throws BadUpdate {
        if (refusal != null) {
            throw new BadUpdate(refusal.status(), refusal.message());
        }
    }

    private void checkAllowed(MercureClaims claims, Update update) throws BadUpdate {
        if (claims.accessToken()) {
            List<TopicSelector> grant;
            try {
                grant = Matchers.selectors(selectors, claims.publishMatchers());
            } catch (dev.sluice.topic.UrlPattern.InvalidPatternException e) {
                throw new BadUpdate(403, "The access token's publish grant cannot be read: " + e.getMessage());
            }
            String uncovered = selectors.firstUncoveredBy(grant, update.topics());
            if (uncovered != null) {
                throw new BadUpdate(403, "This access token may not publish to topic '" + abbreviate(uncovered)
                        + "': no topic matcher of its publish authorization details matches it.");
            }
            return;
        }
        String uncovered = selectors.firstUncovered(claims.publish(), update.topics());
        if (uncovered != null) {
            throw new BadUpdate(403, "This token may not publish to topic '" + abbreviate(uncovered)
                    + "': no selector of its mercure.publish claim matches it.");
        }
    }

    private static String first(Map<String, List<String>> form, String name) {
        List<String> values = form.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static boolean hasLineBreakOrNul(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return true;
            }
        }
        return false;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String message) {
        refuse(ctx, req, status, message, null);
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String message,
                        String challenge) {
        stats.publishRefused.increment();
        var res = Responses.error(status, message);
        cors.apply(req.headers(), res.headers());
        String bearer = challenge != null ? challenge : status.code() == 401 ? "Bearer realm=\"mercure\"" : null;
        if (bearer != null) {
            String metadataUrl = Challenges.metadataUrl(Challenges.hubUrl(access.configuredHubUrl(), req.headers(),
                    Tls.on(ctx)));
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, Challenges.withMetadata(bearer, metadataUrl));
        }
        Responses.send(ctx, req, res);
    }

    private static final class BadUpdate extends Exception {
        final HttpResponseStatus status;
        /** The body could not be read at all (as opposed to an update that breaks a rule). */
        final boolean malformed;

        BadUpdate(int status, String message) {
            this(status, message, false);
        }

        BadUpdate(int status, String message, boolean malformed) {
            super(message, null, false, false);
            this.status = HttpResponseStatus.valueOf(status);
            this.malformed = malformed;
        }
    }
}
