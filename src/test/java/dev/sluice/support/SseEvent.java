package dev.sluice.support;

/** One dispatched SSE event as a browser would see it (id is the last event id at dispatch). */
public record SseEvent(String id, String type, String data, Long retry) {}
